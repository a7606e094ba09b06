"""Spare parts: the catalogue, the stores, goods received and parts issued to work orders, and the stock-low
announcement. Every stock change locks its part first, so two issues of one part at once are applied one
after the other (the second sees what the first left); the database's check refuses a negative stock anyway."""

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assets.directory import service as directory
from assets.spares import rules
from assets.spares.models import SpareMovement, SparePart, SpareReconciliation, SpareStock, SpareStore, SpareWorkOrder
from assets.spares.schemas import IssueIn, PartCreate, PartPatch, ReceiptIn, StoreCreate
from opsdesk_shared.auth import Principal, Role
from opsdesk_shared.contracts.assets import SparesStockLow
from opsdesk_shared.contracts.dispatch import Recipient
from opsdesk_shared.errors import Conflict, Forbidden, NotFound, RuleViolation
from opsdesk_shared.messaging.outbox import add_event

PRODUCER = "assets"
# The vendor's project manager (乙方项目经理): a gateway role being introduced alongside this change; until
# `opsdesk_shared.auth.Role` names it, the role's name is written here.
PROJECT_MANAGER = "project_manager"
KEEPERS = (Role.ADMIN, Role.DISPATCHER, PROJECT_MANAGER)
# A work order in these states takes no more parts: its parts were (or are being) reconciled.
CLOSED_ORDER_STATUSES = frozenset({"resolved", "cancelled", "closed"})


def now() -> datetime:
    return datetime.now(UTC)


# --- the catalogue and the stores ---


async def create_part(session: AsyncSession, principal: Principal, body: PartCreate) -> SparePart:
    if await session.scalar(select(SparePart.id).where(SparePart.part_number == body.part_number)):
        raise Conflict(
            f"part number {body.part_number} is in the catalogue already",
            field="part_number",
            code="spares.part_exists",
        )
    at = now()
    part = SparePart(
        part_number=body.part_number,
        name=body.name,
        asset_classes=[c.value for c in body.asset_classes],
        unit_cost=body.unit_cost,
        minimum_stock=body.minimum_stock,
        # Nothing is in stock yet: low from the start, shown so, but not announced (the goods are on the way;
        # the project manager hears when stock that was there runs down).
        low_since=at if rules.is_low(0, body.minimum_stock) else None,
        created_at=at,
        created_by=principal.subject,
        updated_at=at,
        updated_by=principal.subject,
    )
    session.add(part)
    await session.flush()
    return part


async def get_part(session: AsyncSession, part_id: UUID, *, lock: bool = False) -> SparePart:
    part = await session.get(SparePart, part_id, with_for_update=lock)
    if part is None:
        raise NotFound(f"no spare part {part_id}")
    return part


async def patch_part(session: AsyncSession, principal: Principal, part_id: UUID, body: PartPatch) -> SparePart:
    part = await get_part(session, part_id, lock=True)
    changes = body.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None:
            raise RuleViolation(f"{name} cannot be emptied", field=name)
        setattr(part, name, [c.value for c in value] if name == "asset_classes" else value)
    if changes:
        part.version += 1
        part.updated_at, part.updated_by = now(), principal.subject
        await session.flush()
        if "minimum_stock" in changes:
            await check_low(session, part, None, part.updated_at)
    return part


async def _part_by_number(session: AsyncSession, part_number: str) -> SparePart:
    """Locked: every stock change of a part goes one at a time."""
    part = await session.scalar(select(SparePart).where(SparePart.part_number == part_number).with_for_update())
    if part is None:
        raise RuleViolation(
            f"no part {part_number} in the spare-parts catalogue", field="part_number", code="spares.unknown_part"
        )
    return part


def parts_query(q: str | None = None) -> Select[SparePart]:
    stmt = select(SparePart).order_by(SparePart.part_number)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(SparePart.part_number.ilike(like) | SparePart.name.ilike(like))
    return stmt


async def totals(session: AsyncSession, part_ids: Sequence[UUID]) -> dict[UUID, int]:
    if not part_ids:
        return {}
    rows = await session.execute(
        select(SpareStock.part_id, func.sum(SpareStock.on_hand))
        .where(SpareStock.part_id.in_(part_ids))
        .group_by(SpareStock.part_id)
    )
    return {part_id: int(total or 0) for part_id, total in rows.all()}


async def create_store(session: AsyncSession, principal: Principal, body: StoreCreate) -> SpareStore:
    if await session.scalar(select(SpareStore.id).where(SpareStore.code == body.code)):
        raise Conflict(f"store {body.code} exists already", field="code", code="spares.store_exists")
    store = SpareStore(code=body.code, name=body.name, site=body.site, created_at=now(), created_by=principal.subject)
    session.add(store)
    await session.flush()
    return store


async def list_stores(session: AsyncSession) -> list[SpareStore]:
    return list(await session.scalars(select(SpareStore).order_by(SpareStore.code)))


async def _store(session: AsyncSession, store_id: UUID) -> SpareStore:
    store = await session.get(SpareStore, store_id)
    if store is None:
        raise RuleViolation(f"no store {store_id}", field="store_id", code="spares.unknown_store")
    return store


# --- stock ---


def stock_query(
    *, part_id: UUID | None = None, store_id: UUID | None = None
) -> Select[SpareStock, SparePart, SpareStore]:
    stmt = (
        select(SpareStock, SparePart, SpareStore)
        .join(SparePart, SparePart.id == SpareStock.part_id)
        .join(SpareStore, SpareStore.id == SpareStock.store_id)
        .order_by(SparePart.part_number, SpareStore.code)
    )
    if part_id is not None:
        stmt = stmt.where(SpareStock.part_id == part_id)
    if store_id is not None:
        stmt = stmt.where(SpareStock.store_id == store_id)
    return stmt


async def _stock_row(session: AsyncSession, part: SparePart, store: SpareStore, at: datetime) -> SpareStock:
    stock = await session.get(SpareStock, (part.id, store.id), with_for_update=True)
    if stock is None:
        stock = SpareStock(part_id=part.id, store_id=store.id, on_hand=0, updated_at=at)
        session.add(stock)
    return stock


def _movement(
    part: SparePart,
    store: SpareStore,
    kind: str,
    quantity: int,
    at: datetime,
    principal: Principal | None,
    **extra: object,
) -> SpareMovement:
    return SpareMovement(
        part_id=part.id,
        store_id=store.id,
        kind=kind,
        quantity=quantity,
        actor_id=principal.subject if principal else None,
        actor_name=principal.username if principal else None,
        at=at,
        **extra,
    )


async def receive(
    session: AsyncSession, principal: Principal, body: ReceiptIn
) -> tuple[SpareMovement, SpareStock, bool]:
    part = await _part_by_number(session, body.part_number)
    store = await _store(session, body.store_id)
    at = now()
    stock = await _stock_row(session, part, store, at)
    stock.on_hand += body.quantity
    stock.updated_at = at
    movement = _movement(
        part, store, "received", body.quantity, at, principal, reference=body.reference, note=body.note
    )
    session.add(movement)
    await session.flush()
    return movement, stock, await check_low(session, part, store, at)


async def issue(session: AsyncSession, principal: Principal, body: IssueIn) -> tuple[SpareMovement, SpareStock, bool]:
    order = await _order_for_issue(session, principal, body)
    part = await _part_by_number(session, body.part_number)
    store = await _store(session, body.store_id)
    at = now()
    stock = await _stock_row(session, part, store, at)
    try:
        stock.on_hand = rules.after_issue(stock.on_hand, body.quantity)
    except rules.NotEnoughStock as exc:
        raise RuleViolation(
            f"{store.name} has {exc.on_hand} of {part.part_number} on hand; {exc.wanted} cannot be issued",
            field="quantity",
            code="spares.not_enough_stock",
            params={"on_hand": exc.on_hand, "wanted": exc.wanted},
            on_hand=exc.on_hand,
        ) from exc
    stock.updated_at = at
    movement = _movement(
        part, store, "issued", body.quantity, at, principal, work_order_id=order.work_order_id, note=body.note
    )
    session.add(movement)
    await session.flush()
    return movement, stock, await check_low(session, part, store, at)


async def _order_for_issue(session: AsyncSession, principal: Principal, body: IssueIn) -> SpareWorkOrder:
    if (body.work_order_id is None) == (body.ticket_number is None):
        raise RuleViolation(
            "name the work order by work_order_id or by ticket_number (one of them)",
            field="work_order_id",
            code="spares.work_order_missing",
        )
    # Shared-locked: the work order's reconciliation (work_orders.py) locks it exclusively, so an issue either
    # commits before the reconciliation reads what was issued, or waits and then finds the work order resolved.
    if body.work_order_id is not None:
        order = await session.scalar(
            select(SpareWorkOrder).where(SpareWorkOrder.work_order_id == body.work_order_id).with_for_update(read=True)
        )
        field, name = "work_order_id", str(body.work_order_id)
    else:
        order = await session.scalar(
            select(SpareWorkOrder)
            .where(SpareWorkOrder.ticket_number == body.ticket_number)
            .order_by(SpareWorkOrder.status.in_(CLOSED_ORDER_STATUSES), SpareWorkOrder.status_at.desc())
            .limit(1)
            .with_for_update(read=True)
        )
        field, name = "ticket_number", str(body.ticket_number)
    if order is None:
        raise RuleViolation(
            f"no work order {name} known here: work orders arrive from dispatch's events, so one assigned a moment "
            "ago may not be known yet; retry shortly",
            field=field,
            code="spares.unknown_work_order",
        )
    if not principal.has_any(*KEEPERS) and order.engineer_id != principal.subject:
        raise Forbidden("an engineer issues parts to their own work orders only", code="spares.not_your_work_order")
    if order.status in CLOSED_ORDER_STATUSES:
        raise Conflict(
            f"the work order is {order.status}: its parts were reconciled when it was resolved",
            field=field,
            current_status=order.status,
            code="spares.work_order_closed",
        )
    return order


async def check_low(session: AsyncSession, part: SparePart, store: SpareStore | None, at: datetime) -> bool:
    """Announces the crossing below the minimum once (the part locked by the caller); clears it on refill.
    Returns whether this change crossed it."""
    total = (await totals(session, [part.id])).get(part.id, 0)
    if rules.crossed_below(part.low_since is not None, total, part.minimum_stock):
        part.low_since = at
        recipients = [
            Recipient(user_id=u.id, display_name=u.display_name, phone=u.phone, reason=PROJECT_MANAGER)
            for u in await directory.active_with_role(session, PROJECT_MANAGER)
        ]
        event = SparesStockLow(
            part_id=part.id,
            part_number=part.part_number,
            name=part.name,
            on_hand=total,
            minimum=part.minimum_stock,
            store_id=store.id if store else None,
            store_name=store.name if store else None,
            crossed_at=at,
            recipients=recipients,
        )
        await add_event(session, event, producer=PRODUCER)
        return True
    if part.low_since is not None and not rules.is_low(total, part.minimum_stock):
        part.low_since = None
    return False


def movements_query(
    *, work_order_id: UUID | None = None, part_id: UUID | None = None, kind: str | None = None
) -> Select[SpareMovement, str]:
    stmt = (
        select(SpareMovement, SparePart.part_number)
        .join(SparePart, SparePart.id == SpareMovement.part_id)
        .order_by(SpareMovement.at.desc())
    )
    if work_order_id is not None:
        stmt = stmt.where(SpareMovement.work_order_id == work_order_id)
    if part_id is not None:
        stmt = stmt.where(SpareMovement.part_id == part_id)
    if kind is not None:
        stmt = stmt.where(SpareMovement.kind == kind)
    return stmt


def reconciliations_query(
    *, work_order_id: UUID | None = None, flagged: bool | None = None
) -> Select[SpareReconciliation]:
    stmt = select(SpareReconciliation).order_by(SpareReconciliation.reconciled_at.desc(), SpareReconciliation.name)
    if work_order_id is not None:
        stmt = stmt.where(SpareReconciliation.work_order_id == work_order_id)
    if flagged is not None:
        stmt = stmt.where(SpareReconciliation.flagged.is_(flagged))
    return stmt
