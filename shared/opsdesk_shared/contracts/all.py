"""Import every producer's module so the registry knows every event type."""

from opsdesk_shared.contracts import assets, dispatch, gateway, intake, monitoring, notifications  # noqa: F401
