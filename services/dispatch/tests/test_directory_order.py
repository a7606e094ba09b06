"""The gateway's people and units reach dispatch in any order (two relays, a retry): the newest version
of each is kept, and an older one arriving late is recorded as stale and ignored."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from opsdesk_shared.contracts.gateway import UnitCreated, UnitUpdated, UserCreated, UserUpdated
from opsdesk_shared.testing.workers import eventually, publish

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Desk


def _user(
    cls: type[UserCreated] | type[UserUpdated], user_id: uuid.UUID, version: int, *, name: str, active: bool
) -> UserCreated | UserUpdated:
    return cls(
        user_id=user_id,
        username=f"eng-{user_id.hex[:6]}",
        display_name=name,
        phone="+8613900000001",
        roles=["engineer"],
        unit_id=None,
        is_active=active,
        aggregate_version=version,
    )


async def test_a_users_older_update_arriving_last_does_not_undo_the_newer_one(desk: Desk) -> None:
    user_id = uuid.uuid4()
    await publish(
        desk.env.amqp_url,
        _user(UserCreated, user_id, 1, name="王工", active=True),
        _user(UserUpdated, user_id, 3, name="王工(离职)", active=False),  # disabled by the administrator
        _user(UserUpdated, user_id, 2, name="王工程师", active=True),  # the rename before it, delivered late
    )
    stale = await eventually(lambda: desk.env.stale_events("dispatch", user_id))
    assert stale == [("user.updated", 2, 3)]
    resp = await desk.client.get(f"/api/dispatch/staff/{user_id}", headers=desk.admin_headers)
    assert resp.status_code == 200
    assert (resp.json()["display_name"], resp.json()["is_active"]) == ("王工(离职)", False)


async def test_a_units_older_move_arriving_last_does_not_undo_the_newer_one(desk: Desk) -> None:
    old_parent, new_parent, unit_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def unit(cls: type[UnitCreated] | type[UnitUpdated], version: int, parent: uuid.UUID) -> UnitCreated | UnitUpdated:
        return cls(
            unit_id=unit_id,
            code=f"U{unit_id.hex[:6]}",
            name="测试派出所",
            kind="police_station",
            parent_id=parent,
            path=[parent, unit_id],
            aggregate_version=version,
        )

    await publish(
        desk.env.amqp_url,
        unit(UnitCreated, 1, old_parent),
        unit(UnitUpdated, 3, new_parent),
        unit(UnitUpdated, 2, old_parent),
    )
    assert await eventually(lambda: desk.env.stale_events("dispatch", unit_id)) == [("unit.updated", 2, 3)]
    # The unit's place in the tree decides which requesters see its tickets' clocks.
    ticket = await desk.ticket(unit_id=unit_id)

    async def clocks_as_requester_of(parent: uuid.UUID) -> int:
        token = desk.env.token("requester", unit_id=parent)
        resp = await desk.client.get(
            f"/api/sla/tickets/{ticket.ticket_id}", headers={"Authorization": f"Bearer {token}"}
        )
        return resp.status_code

    assert await clocks_as_requester_of(new_parent) == 200
    assert await clocks_as_requester_of(old_parent) == 404
