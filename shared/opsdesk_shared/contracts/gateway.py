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


class UnitCreated(UnitChanged):
    type = "unit.created"


class UnitUpdated(UnitChanged):
    type = "unit.updated"
