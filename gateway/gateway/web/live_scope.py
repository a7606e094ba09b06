"""Which tickets a signed-in user may be nudged about on the live stream.

A nudge names a ticket (`t-<id>`), so it must reach only those who may read that ticket, as intake
decides (`intake/tickets/service.py: visible`): staff every ticket, a requester the tickets of their
unit's subtree, anyone else (auditor, security administrator) none. The check runs for every event and
every open stream, so it must not ask anything: the requester's subtree is read once when the stream
opens, and the ticket's unit travels with the nudge, taken from the event or, for events that do not
carry it (SLA clocks, work orders), from the tickets this gateway process has seen. A ticket whose unit
is not known yet is nudged to staff only; a requester's page catches up at its next resync."""

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from opsdesk_shared.auth import STAFF_ROLES, Role

# Ticket ids are 36 characters: this many units remembered cost a few MB per gateway process, and cover
# far more tickets than are open at once.
TICKET_UNITS_KEPT = 50_000


class TicketUnits:
    """The unit of each ticket seen lately in an event, the least recently seen forgotten first."""

    def __init__(self, capacity: int = TICKET_UNITS_KEPT) -> None:
        self.capacity = capacity
        self._units: OrderedDict[str, str] = OrderedDict()

    def learn(self, ticket_id: str, unit_id: str) -> None:
        self._units[ticket_id] = unit_id
        self._units.move_to_end(ticket_id)
        if len(self._units) > self.capacity:
            self._units.popitem(last=False)

    def unit_of(self, ticket_id: str) -> str | None:
        return self._units.get(ticket_id)


@dataclass(frozen=True)
class LiveScope:
    every_ticket: bool
    units: frozenset[str] = frozenset()

    def may_see(self, ticket_unit: str | None) -> bool:
        return self.every_ticket or (ticket_unit is not None and ticket_unit in self.units)


def live_scope(roles: Iterable[str], unit_id: str | None, units: Iterable[Mapping[str, Any]]) -> LiveScope:
    """The scope of a user with these roles and unit; `units` is the unit tree (`/api/admin/units`)."""
    roles = set(roles)
    if roles & STAFF_ROLES:
        return LiveScope(every_ticket=True)
    if Role.REQUESTER in roles and unit_id:
        subtree = {str(u["id"]) for u in units if unit_id in {str(p) for p in u.get("path") or ()}}
        return LiveScope(every_ticket=False, units=frozenset(subtree | {unit_id}))
    return LiveScope(every_ticket=False)
