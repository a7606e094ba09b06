"""Finding tickets: filtered, searched (Chinese substrings included), sorted and paged lists, and the
duplicate hints offered while a ticket is being filed."""

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.models import Ticket
from intake.tickets import lifecycle
from intake.tickets.service import now, visible
from opsdesk_shared.auth import Principal
from opsdesk_shared.errors import RuleViolation

SORTS = {
    "created_at": Ticket.created_at,
    "updated_at": Ticket.updated_at,
    "priority": Ticket.priority,
    "number": Ticket.number,
}


@dataclass
class TicketFilter:
    status: list[str] | None = None
    category: str | None = None
    priority: str | None = None
    unit_id: UUID | None = None  # that unit and everything under it
    channel: str | None = None
    sla_state: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: str | None = None
    requester_phone: str | None = None

    def clauses(self) -> list[Any]:
        where: list[Any] = []
        if self.status:
            unknown = set(self.status) - lifecycle.STATUSES
            if unknown:
                raise RuleViolation(f"unknown status {sorted(unknown)[0]!r}", field="status")
            where.append(Ticket.status.in_(self.status))  # type: ignore[attr-defined]
        for column, value in (
            (Ticket.category, self.category),
            (Ticket.priority, self.priority),
            (Ticket.channel, self.channel),
            (Ticket.sla_state, self.sla_state),
            (Ticket.requester_phone, self.requester_phone),
        ):
            if value:
                where.append(column == value)
        if self.unit_id:
            where.append(Ticket.unit_path.contains([self.unit_id]))  # type: ignore[attr-defined]
        if self.created_from:
            where.append(Ticket.created_at >= self.created_from)  # type: ignore[operator]
        if self.created_to:
            where.append(Ticket.created_at < self.created_to)  # type: ignore[operator]
        if self.q:
            # A substring match over number, title, description, requester, asset and place, served by the
            # trigram index. LIKE's wildcards in the user's text are matched literally.
            pattern = "%" + self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(Ticket.__table__.c.search_text.ilike(pattern, escape="\\"))  # type: ignore[attr-defined]
        return where


def _encode_cursor(ticket: Ticket) -> str:
    return base64.urlsafe_b64encode(f"{ticket.created_at.isoformat()}|{ticket.id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        at, tid = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(at), UUID(tid)
    except ValueError as exc:
        raise RuleViolation("cursor: not a cursor this API handed out", field="cursor") from exc


async def list_tickets(
    session: AsyncSession,
    principal: Principal,
    filters: TicketFilter,
    *,
    limit: int,
    cursor: str | None = None,
    sort: str | None = None,
    page: int | None = None,
) -> tuple[list[Ticket], str | None, int | None]:
    """Newest first with a `cursor` (stable under inserts), or any `sort` with numbered `page`s."""
    query = select(Ticket).where(visible(principal), *filters.clauses())
    if sort is None:
        if cursor:
            at, tid = _decode_cursor(cursor)
            query = query.where((Ticket.created_at < at) | ((Ticket.created_at == at) & (Ticket.id < tid)))  # type: ignore[operator]
        rows = list(
            (
                await session.execute(
                    query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit + 1)  # type: ignore[attr-defined]
                )
            ).scalars()
        )
        next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
        return rows[:limit], next_cursor, None
    key = sort.lstrip("-")
    if key not in SORTS:
        raise RuleViolation(f"sort by one of {', '.join(SORTS)} (prefix '-' for descending)", field="sort")
    column = SORTS[key]
    order = column.desc() if sort.startswith("-") else column.asc()  # type: ignore[attr-defined]
    page = page or 1
    rows = list(
        (await session.execute(query.order_by(order, Ticket.id).offset((page - 1) * limit).limit(limit + 1))).scalars()
    )
    return rows[:limit], None, page + 1 if len(rows) > limit else None


async def duplicate_hints(
    session: AsyncSession,
    principal: Principal,
    *,
    unit_id: UUID | None,
    asset_tag: str | None,
    requester_phone: str | None,
    within: timedelta = timedelta(hours=24),
    limit: int = 20,
) -> list[Ticket]:
    """Open tickets of the same unit, asset or caller from the last 24 h: link instead of filing twice."""
    matches = []
    if unit_id:
        matches.append(Ticket.unit_id == unit_id)
    if asset_tag:
        matches.append(Ticket.asset_tag == asset_tag)
    if requester_phone:
        matches.append(Ticket.requester_phone == requester_phone)
    if not matches:
        raise RuleViolation("give at least one of unit_id, asset_tag, requester_phone", field="unit_id")
    rows = await session.execute(
        select(Ticket)
        .where(
            visible(principal),
            or_(*matches),
            Ticket.status.in_(lifecycle.OPEN | {"pending"}),  # type: ignore[attr-defined]
            Ticket.created_at >= now() - within,  # type: ignore[operator]
        )
        .order_by(Ticket.created_at.desc())  # type: ignore[attr-defined]
        .limit(limit)
    )
    return list(rows.scalars())
