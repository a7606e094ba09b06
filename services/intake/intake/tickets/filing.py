"""A new ticket's rows in one statement: the day's number, the ticket, its `created` timeline line and its
`ticket.created` in the outbox.

Filing is the hot path of `POST /api/tickets`. Looking up the unit's path, taking the number, then flushing the
ticket and its line through the ORM, was four round trips and a unit-of-work flush (py-spy under `make bench`:
the flush alone cost more than the statement it sends). One statement of data-modifying CTEs does the same
in one round trip, the event included (its number set by the statement). The number is either taken ahead
(`numbering.NumberAllocator`: `POST /api/tickets`) or here, the day counter's row then staying locked from
this statement to the commit (numbering.py says why the API takes it ahead). The audit trail is told of both
rows as a flush would have told it (`record_inserts`), and the ticket object joins the session as the
persistent row it now is, so later changes in the same transaction (a call linked to it) flush as updates of it.
"""

import typing
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    Table,
    Text,
    bindparam,
    case,
    cast,
    func,
    insert,
    inspect,
    literal,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from intake.directory.models import Unit
from intake.tickets.models import Ticket, TicketEvent, TicketNumberCounter
from intake.tickets.numbering import SHANGHAI
from opsdesk_shared import audit_trail
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.messaging import outbox

_TICKET = typing.cast(Table, Ticket.__table__)
_EVENT = typing.cast(Table, TicketEvent.__table__)
_COUNTER = typing.cast(Table, TicketNumberCounter.__table__)
# What the statement binds: every column but the number (made from the counter) and those the database makes.
_COLUMNS = [c for c in _TICKET.columns if c.name != "number" and c.computed is None]
_LINE = ("actor_id", "actor_name", "detail", "at")
# Parameters named apart from every column: given a parameter named like a column (`id`), SQLAlchemy binds that
# column in each INSERT of the statement, the timeline line's identity included.

_counter = (
    pg_insert(_COUNTER)
    .values(day=bindparam("counter_day"), last=1)
    .on_conflict_do_update(index_elements=[_COUNTER.c.day], set_={"last": _COUNTER.c.last + 1})
    .returning(_COUNTER.c.last)
    .cte("counter")
)
_seq = select(_counter.c.last).scalar_subquery()
# `format_ticket_number` in SQL: `YYYYMMDD-NNNN`, the sequence growing a digit past 9,999.
_number = bindparam("day_prefix", type_=Text) + case(
    (_seq < 10000, func.lpad(cast(_seq, Text), 4, "0")), else_=cast(_seq, Text)
)
_binds = {c.name: bindparam(f"ticket_{c.name}", type_=c.type) for c in _COLUMNS}
# The unit's path as intake's copy of the tree has it; the path given stands where the unit is not known yet
# (its event is on its way: `directory.apply_unit` corrects the ticket's path when it arrives).
_unit_path = func.coalesce(select(Unit.path).where(Unit.id == _binds["unit_id"]).scalar_subquery(), _binds["unit_path"])


def _filing(number: ColumnElement[str], *before: CTE) -> Select[Any]:
    """The statement that files a ticket numbered `number`: a parameter, or an expression of the CTEs `before`."""
    filed = (
        insert(_TICKET)
        .values({**_binds, "unit_path": _unit_path, "number": number})
        .returning(_TICKET.c.id, _TICKET.c.number, _TICKET.c.unit_path)
        .cte("filed")
    )
    noted = (
        insert(_EVENT)
        .values(
            ticket_id=select(filed.c.id).scalar_subquery(),
            kind=literal("created"),
            **{name: bindparam(f"line_{name}", type_=_EVENT.c[name].type) for name in _LINE},
        )
        .returning(_EVENT.c.id)
        .cte("noted")
    )
    announced = outbox.insert_cte("announced", patch=("number", select(filed.c.number).scalar_subquery()))
    return (
        select(filed.c.number, filed.c.unit_path, noted.c.id, outbox.wake_relay())
        .select_from(filed.join(noted, true()).join(announced, true()))
        .add_cte(*before, filed, noted, announced)
    )


# Each compiled once and cached: the same statement for every ticket, only its parameters differ.
_FILE_TAKING_NUMBER = _filing(_number, _counter)  # the day's counter locked until the commit
_FILE_NUMBERED = _filing(bindparam("ticket_number", type_=Text))  # its number taken ahead (NumberAllocator)


async def insert_ticket(
    session: AsyncSession, ticket: Ticket, *, line: dict[str, Any], announcement: Envelope, number: str | None
) -> None:
    """Writes `ticket` (numbered `number`, or its number taken here; its unit's path looked up here), its
    `created` line with `line`'s actor_id, actor_name, detail and at, and `announcement` (its `ticket.created`,
    the number set here) into the outbox; the caller's transaction commits them."""
    values = {c.name: getattr(ticket, c.name) for c in _COLUMNS}
    params = {
        **{f"ticket_{name}": value for name, value in values.items()},
        **{f"line_{name}": line[name] for name in _LINE},
        **outbox.bound(announcement, "announced"),
    }
    if number is None:
        day = ticket.created_at.astimezone(SHANGHAI).date()
        statement = _FILE_TAKING_NUMBER
        params |= {"counter_day": day, "day_prefix": f"{day:%Y%m%d}-"}
    else:
        statement, params["ticket_number"] = _FILE_NUMBERED, number
    row = (await session.execute(statement, params)).one()
    ticket.number, ticket.unit_path = row.number, list(row.unit_path)
    announcement.data["number"] = ticket.number
    values["unit_path"] = ticket.unit_path
    # Columns left at a class-level default (None) are not in the object's state yet: put them there, or the
    # session would treat them as unloaded and read them back from the database.
    state = inspect(ticket).dict
    for name, value in values.items():
        if name not in state:
            setattr(ticket, name, value)
    make_transient_to_detached(ticket)
    session.add(ticket)
    audit_trail.record_inserts(session.sync_session, _TICKET.name, [{**values, "number": ticket.number}])
    audit_trail.record_inserts(
        session.sync_session,
        _EVENT.name,
        [{"id": row.id, "ticket_id": ticket.id, "kind": "created", **{name: line[name] for name in _LINE}}],
    )
