"""Events produced by the gateway: users and units (dispatch learns engineers from them)."""

from uuid import UUID

from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.personal_data import SealedPhone


class UserChanged(Event):
    user_id: UUID
    username: str
    display_name: str
    phone: SealedPhone | None
    roles: list[str]
    unit_id: UUID | None
    is_active: bool
    # The user's version after this change (1 at creation, one more per change); consumers keep only the
    # newest (`opsdesk_shared/messaging/ordering.py`). 0: an event written before versions existed.
    aggregate_version: int = 0


class UserCreated(UserChanged):
    type = "user.created"


class UserUpdated(UserChanged):
    type = "user.updated"


class UnitChanged(Event):
    unit_id: UUID
    code: str
    name: str
    kind: str
    parent_id: UUID | None
    # Ancestor ids from the root down to this unit, so consumers can scope by subtree without asking.
    path: list[UUID]
    aggregate_version: int = 0  # as for users


class UnitCreated(UnitChanged):
    type = "unit.created"


class UnitUpdated(UnitChanged):
    type = "unit.updated"
