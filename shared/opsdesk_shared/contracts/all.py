"""Import every producer's module so the registry knows every event type."""

from opsdesk_shared.contracts import dispatch, gateway, intake, notifications  # noqa: F401
