"""An asset's history (its page) and the fault analysis (故障归类、总结、分析): what the ledger, the technical
ledger and the inspections keep here, joined to the copies of the tickets and work orders that name the asset.

Who sees what follows the rest of the service: the asset itself as the ledger scopes it (a requester their
unit's subtree), the technical ledger as its own routes do (not requesters), the rounds as the inspection
routes do (the vendor's staff and the supervisors), findings also to requesters (SPEC §2a: their subtree's
findings), and a requester only the tickets of their own subtree."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Select, distinct, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from assets.directory.models import Unit
from assets.history.schemas import (
    ClassFaults,
    FailingAsset,
    FaultAnalysis,
    FaultPeriod,
    InspectionOut,
    TicketOut,
    WorkOrderOut,
)
from assets.inspections.models import Finding, InspectionRound, RoundStop
from assets.ledger import service as ledger
from assets.ledger.models import Asset
from assets.tickets.models import TicketCopy, WorkOrderCopy
from opsdesk_shared.auth import STAFF_ROLES, Principal, Role
from opsdesk_shared.contracts.vocabulary import Category, TicketStatus
from opsdesk_shared.errors import RuleViolation

TECHNICAL_READERS = (Role.ADMIN, Role.DISPATCHER, Role.ENGINEER, Role.SUPERVISOR, Role.HOTLINE_OPERATOR)
INSPECTION_READERS = (Role.ADMIN, Role.DISPATCHER, Role.ENGINEER, Role.SUPERVISOR)
FINDING_READERS = (*INSPECTION_READERS, Role.REQUESTER)
# How much of a long life the page lists: newest first.
MOST_TICKETS = 200
MOST_STOPS = 100
MOST_FINDINGS = 200
DEFAULT_PERIOD = timedelta(days=90)
LONGEST_PERIOD = timedelta(days=3 * 366)
ASSET_COLUMNS = ("id", "tag", "name", "asset_class", "site", "room", "status")
NOT_OPEN = (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value, TicketStatus.CANCELLED.value)


def _ticket_scope(principal: Principal) -> Any:
    """Staff see every ticket on a visible asset; a requester only those filed for a unit of their subtree."""
    if principal.has_any(*STAFF_ROLES):
        return true()
    subtree = select(Unit.id).where(Unit.path.contains([principal.unit_id]))
    return TicketCopy.unit_id.in_(subtree)


async def tickets_of(session: AsyncSession, principal: Principal, asset: Asset) -> list[TicketOut]:
    rows = await session.execute(
        select(TicketCopy)
        .where(TicketCopy.asset_tag == asset.tag, _ticket_scope(principal))
        .order_by(TicketCopy.created_at.desc().nulls_last(), TicketCopy.number.desc())
        .limit(MOST_TICKETS)
    )
    tickets = [TicketOut.model_validate(t) for t in rows.scalars()]
    if not tickets:
        return []
    orders = await session.execute(
        select(WorkOrderCopy)
        .where(WorkOrderCopy.ticket_id.in_([t.ticket_id for t in tickets]))
        .order_by(WorkOrderCopy.assigned_at.nulls_last(), WorkOrderCopy.last_event_at)
    )
    by_ticket: dict[UUID, list[WorkOrderOut]] = {}
    for order in orders.scalars():
        by_ticket.setdefault(order.ticket_id, []).append(WorkOrderOut.model_validate(order))
    for ticket in tickets:
        ticket.work_orders = by_ticket.get(ticket.ticket_id, [])
    return tickets


async def findings_of(session: AsyncSession, asset: Asset) -> list[Finding]:
    rows = await session.execute(
        select(Finding).where(Finding.asset_id == asset.id).order_by(Finding.raised_at.desc()).limit(MOST_FINDINGS)
    )
    return list(rows.scalars())


def abnormal_count(results: dict[str, Any] | None) -> int:
    return sum(1 for result in (results or {}).values() if isinstance(result, dict) and result.get("abnormal"))


async def inspections_of(session: AsyncSession, asset: Asset) -> list[InspectionOut]:
    """Its stops in rounds walked or missed, and checked stops of rounds still open; not today's untouched."""
    rows = await session.execute(
        select(RoundStop, InspectionRound)
        .join(InspectionRound, InspectionRound.id == RoundStop.round_id)
        .where(
            RoundStop.asset_id == asset.id,
            (RoundStop.checked_at.is_not(None)) | (InspectionRound.status != "open"),
        )
        .order_by(InspectionRound.day.desc(), RoundStop.checked_at.desc().nulls_last())
        .limit(MOST_STOPS)
    )
    return [
        InspectionOut(
            round_id=round_.id,
            plan_name=round_.plan_name,
            day=round_.day,
            round_status=round_.status,
            checked_at=stop.checked_at,
            checked_by_name=stop.checked_by_name,
            items=len(stop.items),
            abnormal_items=abnormal_count(stop.results),
            note=stop.note,
        )
        for stop, round_ in rows.tuples()
    ]


def period_of(f: FaultPeriod, at: datetime | None = None) -> tuple[datetime, datetime]:
    until = f.until or at or datetime.now(UTC)
    since = f.since or until - DEFAULT_PERIOD
    if until <= since:
        raise RuleViolation("until must be after since", field="until")
    if until - since > LONGEST_PERIOD:
        raise RuleViolation("a fault analysis covers at most three years", field="since")
    return since, until


def _faults(principal: Principal, f: FaultPeriod, since: datetime, until: datetime) -> Select[Any]:
    """The fault tickets filed in the period, each with its asset (one the reader may see)."""
    stmt = (
        select(
            TicketCopy.ticket_id,
            TicketCopy.status.label("ticket_status"),
            TicketCopy.created_at.label("filed_at"),
            *(getattr(Asset, name) for name in ASSET_COLUMNS),
        )
        .join(Asset, Asset.tag == TicketCopy.asset_tag)
        .where(
            ledger.visible(principal),
            _ticket_scope(principal),
            TicketCopy.category == Category.FAULT.value,
            TicketCopy.status != TicketStatus.CANCELLED.value,
            TicketCopy.created_at >= since,
            TicketCopy.created_at < until,
        )
    )
    if f.site:
        stmt = stmt.where(_at_site(f.site))
    return stmt


def _at_site(site: str) -> Any:
    return Asset.site.ilike(ledger.like_pattern(site.strip()), escape="\\")


async def fault_analysis(session: AsyncSession, principal: Principal, f: FaultPeriod) -> FaultAnalysis:
    since, until = period_of(f)
    faults = _faults(principal, f, since, until).subquery()
    per_class_rows = await session.execute(
        select(faults.c.asset_class, func.count(), func.count(distinct(faults.c.id)))
        .group_by(faults.c.asset_class)
        .order_by(func.count().desc(), faults.c.asset_class)
    )
    counted = {row[0]: (int(row[1]), int(row[2])) for row in per_class_rows}
    sizes = select(Asset.asset_class, func.count()).where(
        ledger.visible(principal), Asset.asset_class.in_(list(counted))
    )
    if f.site:
        sizes = sizes.where(_at_site(f.site))
    ledger_sizes = {row[0]: int(row[1]) for row in await session.execute(sizes.group_by(Asset.asset_class))}
    per_class = [
        ClassFaults(asset_class=cls, faults=n, assets_failed=failed, assets=ledger_sizes.get(cls, failed))
        for cls, (n, failed) in counted.items()
    ]
    top_rows = await session.execute(
        select(
            *(faults.c[name] for name in ASSET_COLUMNS),
            func.count(),
            func.count().filter(faults.c.ticket_status.not_in(NOT_OPEN)),
            func.max(faults.c.filed_at),
        )
        .group_by(*(faults.c[name] for name in ASSET_COLUMNS))
        .order_by(func.count().desc(), func.max(faults.c.filed_at).desc(), faults.c.tag)
        .limit(f.limit)
    )
    top = [
        FailingAsset(
            asset_id=row[0],
            tag=row[1],
            name=row[2],
            asset_class=row[3],
            site=row[4],
            room=row[5],
            status=row[6],
            faults=int(row[7]),
            open_faults=int(row[8]),
            last_fault_at=row[9],
        )
        for row in top_rows
    ]
    return FaultAnalysis(
        since=since, until=until, faults=sum(n for n, _ in counted.values()), per_class=per_class, top_assets=top
    )
