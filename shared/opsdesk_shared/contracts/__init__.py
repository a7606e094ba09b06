"""Versioned domain event schemas (SPEC §3). One module per producer; `registry` maps types to classes."""

from opsdesk_shared.contracts.envelope import Envelope, Event, event_class, registered_types

__all__ = ["Envelope", "Event", "event_class", "registered_types"]
