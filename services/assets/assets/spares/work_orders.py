"""Dispatch's work orders as the spare-parts store needs them (from `workorder.*` events): whose each is, and,
when one is resolved, the reconciliation of the parts it used against what stock issued to it — used but never
issued is flagged, issued but unused goes back to the store it came from. The inbox applies each event once;
`reconciled_at` keeps a work order from being reconciled twice whatever else arrives."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from assets.spares import rules
from assets.spares.models import SpareMovement, SparePart, SpareReconciliation, SpareStock, SpareStore, SpareWorkOrder
from assets.spares.service import check_low
from opsdesk_shared.contracts import dispatch as d
from opsdesk_shared.contracts.envelope import Envelope

RETURN_NOTE = "领用未使用，工单完成核对时退回库存"


async def _learn(session: AsyncSession, order: d.WorkOrderEvent) -> SpareWorkOrder:
    """Upserts the work order; a later event wins, an earlier one arriving late changes nothing. Locked."""
    table = SpareWorkOrder.__table__
    stmt = insert(SpareWorkOrder).values(
        work_order_id=order.work_order_id,
        ticket_id=order.ticket_id,
        ticket_number=order.ticket_number,
        engineer_id=order.engineer_id,
        engineer_name=order.engineer_name,
        status=order.status,
        status_at=order.at,
    )
    newer = stmt.excluded.status_at >= table.c.status_at
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["work_order_id"],
            set_={
                "ticket_number": stmt.excluded.ticket_number,
                "engineer_id": stmt.excluded.engineer_id,
                "engineer_name": stmt.excluded.engineer_name,
                "status": stmt.excluded.status,
                "status_at": stmt.excluded.status_at,
            },
            where=newer,
        )
    )
    known = await session.get(SpareWorkOrder, order.work_order_id, with_for_update=True, populate_existing=True)
    assert known is not None  # upserted just now
    return known


async def learn_work_order(session: AsyncSession, envelope: Envelope) -> None:
    await _learn(session, envelope.parse(d.WorkOrderEvent))


async def work_order_resolved(session: AsyncSession, envelope: Envelope) -> None:
    resolved = envelope.parse(d.WorkOrderResolved)
    order = await _learn(session, resolved)
    if order.reconciled_at is not None:
        return
    await reconcile(session, order, resolved.parts, resolved.at)


async def reconcile(session: AsyncSession, order: SpareWorkOrder, parts: list[d.PartUsed], at: datetime) -> None:
    lots = [
        rules.IssueLot(movement_id=m.id, part_number=number, store_id=m.store_id, quantity=m.quantity)
        for m, number in (
            await session.execute(
                select(SpareMovement, SparePart.part_number)
                .join(SparePart, SparePart.id == SpareMovement.part_id)
                .where(SpareMovement.work_order_id == order.work_order_id, SpareMovement.kind == "issued")
                .order_by(SpareMovement.at, SpareMovement.id)
            )
        ).all()
    ]
    used = [rules.Used(part_number=p.part_number, name=p.name, quantity=p.quantity) for p in parts]
    numbers = {u.part_number for u in used if u.part_number} | {lot.part_number for lot in lots}
    # Locked in part-number order: two work orders reconciled at once cannot deadlock on their parts.
    catalogue = {
        p.part_number: p
        for p in await session.scalars(
            select(SparePart)
            .where(SparePart.part_number.in_(numbers))
            .order_by(SparePart.part_number)
            .with_for_update()
        )
    }
    for line in rules.reconcile(used, lots, {n: p.name for n, p in catalogue.items()}):
        part = catalogue.get(line.part_number or "")
        session.add(
            SpareReconciliation(
                work_order_id=order.work_order_id,
                ticket_number=order.ticket_number,
                part_id=part.id if part else None,
                part_number=line.part_number,
                name=line.name,
                used=line.used,
                issued=line.issued,
                returned=line.returned,
                unissued=line.unissued,
                outcome=line.outcome.value,
                flagged=line.flagged,
                reconciled_at=at,
            )
        )
        if part is not None and line.returns:
            await _put_back(session, order, part, line.returns, at)
    order.reconciled_at = at


async def _put_back(
    session: AsyncSession, order: SpareWorkOrder, part: SparePart, returns: tuple[rules.Return, ...], at: datetime
) -> None:
    for back in returns:
        stock = await session.get(SpareStock, (part.id, back.store_id), with_for_update=True)
        store = await session.get(SpareStore, back.store_id)
        assert stock is not None and store is not None  # it was issued from there
        stock.on_hand += back.quantity
        stock.updated_at = at
        session.add(
            SpareMovement(
                part_id=part.id,
                store_id=back.store_id,
                kind="returned",
                quantity=back.quantity,
                work_order_id=order.work_order_id,
                reference=str(back.lot),
                note=RETURN_NOTE,
                actor_id=None,
                actor_name=None,
                at=at,
            )
        )
    await session.flush()
    await check_low(session, part, None, at)
