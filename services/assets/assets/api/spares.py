"""/api/spares: the parts catalogue, stores, stock, goods received, parts issued to work orders, the
reconciliations of resolved work orders, and the stock report (备品备件)."""

from datetime import date, datetime
from typing import Annotated, Literal
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from assets.api.dependencies import Settings, SparesIssuer, SparesKeeper, SparesReader, SparesReportReader
from assets.spares import report, rules, service
from assets.spares.models import SpareMovement, SparePart, SpareStock, SpareWorkOrder
from assets.spares.schemas import (
    IssueIn,
    MovementOut,
    PartCreate,
    PartOut,
    PartPatch,
    ReceiptIn,
    ReconciliationOut,
    StockOut,
    StockReport,
    StoreCreate,
    StoreOut,
    WorkOrderSpares,
)
from opsdesk_shared.dependencies import ReadSession, Uow
from opsdesk_shared.documents.periods import EARLIEST, LATEST, LOCAL
from opsdesk_shared.documents.render import MEDIA_TYPES, Format, file_bytes
from opsdesk_shared.errors import NotFound, RuleViolation

router = APIRouter(prefix="/api/spares", tags=["spares"])


async def _part_outs(session: AsyncSession, parts: list[SparePart]) -> list[PartOut]:
    totals = await service.totals(session, [p.id for p in parts])
    outs = []
    for part in parts:
        out = PartOut.model_validate(part)
        out.on_hand = totals.get(part.id, 0)
        out.low = rules.is_low(out.on_hand, part.minimum_stock)
        outs.append(out)
    return outs


@router.post("/parts", status_code=status.HTTP_201_CREATED, response_model=PartOut)
async def create_part(body: PartCreate, principal: SparesKeeper, uow: Uow) -> PartOut:
    [out] = await _part_outs(uow, [await service.create_part(uow, principal, body)])
    return out


@router.get("/parts", response_model=list[PartOut])
async def list_parts(
    principal: SparesReader,
    session: ReadSession,
    q: Annotated[str | None, Query(max_length=100, description="part number or name, a substring")] = None,
    low: Annotated[bool | None, Query(description="only the parts below their minimum")] = None,
) -> list[PartOut]:
    outs = await _part_outs(session, list(await session.scalars(service.parts_query(q))))
    return [o for o in outs if low is None or o.low == low]


@router.get("/parts/{part_id}", response_model=PartOut)
async def get_part(part_id: UUID, principal: SparesReader, session: ReadSession) -> PartOut:
    [out] = await _part_outs(session, [await service.get_part(session, part_id)])
    return out


@router.patch("/parts/{part_id}", response_model=PartOut)
async def patch_part(part_id: UUID, body: PartPatch, principal: SparesKeeper, uow: Uow) -> PartOut:
    [out] = await _part_outs(uow, [await service.patch_part(uow, principal, part_id, body)])
    return out


@router.post("/stores", status_code=status.HTTP_201_CREATED, response_model=StoreOut)
async def create_store(body: StoreCreate, principal: SparesKeeper, uow: Uow) -> StoreOut:
    return StoreOut.model_validate(await service.create_store(uow, principal, body))


@router.get("/stores", response_model=list[StoreOut])
async def list_stores(principal: SparesReader, session: ReadSession) -> list[StoreOut]:
    return [StoreOut.model_validate(s) for s in await service.list_stores(session)]


@router.get("/stock", response_model=list[StockOut])
async def list_stock(
    principal: SparesReader,
    session: ReadSession,
    part_id: UUID | None = None,
    store_id: UUID | None = None,
    low: Annotated[bool | None, Query(description="only the parts below their minimum")] = None,
) -> list[StockOut]:
    rows = (await session.execute(service.stock_query(part_id=part_id, store_id=store_id))).all()
    totals = await service.totals(session, list({part.id for _, part, _ in rows}))
    outs = []
    for held, part, store in rows:
        total = totals.get(part.id, 0)
        out = StockOut(
            part_id=part.id,
            part_number=part.part_number,
            name=part.name,
            store_id=store.id,
            store_code=store.code,
            store_name=store.name,
            on_hand=held.on_hand,
            part_on_hand=total,
            minimum_stock=part.minimum_stock,
            low=rules.is_low(total, part.minimum_stock),
        )
        if low is None or out.low == low:
            outs.append(out)
    return outs


def _movement_out(
    movement: SpareMovement, part_number: str, stock: SpareStock | None = None, low: bool = False
) -> MovementOut:
    out = MovementOut.model_validate(movement)
    out.part_number = part_number
    out.on_hand_after = stock.on_hand if stock is not None else None
    out.stock_low = low
    return out


@router.post("/receipts", status_code=status.HTTP_201_CREATED, response_model=MovementOut)
async def receive(body: ReceiptIn, principal: SparesKeeper, uow: Uow) -> MovementOut:
    """Goods received into a store (入库): the quantity, who, when, the delivery note."""
    movement, stock, low = await service.receive(uow, principal, body)
    return _movement_out(movement, body.part_number, stock, low)


@router.post("/issues", status_code=status.HTTP_201_CREATED, response_model=MovementOut)
async def issue(body: IssueIn, principal: SparesIssuer, uow: Uow) -> MovementOut:
    """Parts taken from a store for a work order (领用). More than the store holds is refused naming
    `quantity`; an engineer issues to their own work orders only. `stock_low`: this took the part below its
    minimum (the project manager is told)."""
    movement, stock, low = await service.issue(uow, principal, body)
    return _movement_out(movement, body.part_number, stock, low)


@router.get("/movements", response_model=list[MovementOut])
async def list_movements(
    principal: SparesReader,
    session: ReadSession,
    work_order_id: UUID | None = None,
    part_id: UUID | None = None,
    kind: Literal["received", "issued", "returned"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[MovementOut]:
    stmt = service.movements_query(work_order_id=work_order_id, part_id=part_id, kind=kind).limit(limit)
    return [_movement_out(m, number) for m, number in (await session.execute(stmt)).all()]


@router.get("/reconciliations", response_model=list[ReconciliationOut])
async def list_reconciliations(
    principal: SparesReader,
    session: ReadSession,
    work_order_id: UUID | None = None,
    flagged: Annotated[
        bool | None, Query(description="only the flagged lines (used but not issued, unknown part)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ReconciliationOut]:
    stmt = service.reconciliations_query(work_order_id=work_order_id, flagged=flagged).limit(limit)
    return [ReconciliationOut.model_validate(r) for r in await session.scalars(stmt)]


@router.get("/work-orders/{work_order_id}", response_model=WorkOrderSpares)
async def work_order_spares(work_order_id: UUID, principal: SparesReader, session: ReadSession) -> WorkOrderSpares:
    """404 until dispatch's event about the work order has reached assets: then parts can be issued to it."""
    order = await session.get(SpareWorkOrder, work_order_id)
    if order is None:
        raise NotFound(f"no work order {work_order_id} known here (yet)", code="spares.unknown_work_order")
    moved = await session.execute(service.movements_query(work_order_id=work_order_id).limit(500))
    lines = await session.scalars(service.reconciliations_query(work_order_id=work_order_id))
    return WorkOrderSpares(
        work_order_id=order.work_order_id,
        ticket_number=order.ticket_number,
        engineer_id=order.engineer_id,
        engineer_name=order.engineer_name,
        status=order.status,
        reconciled_at=order.reconciled_at,
        movements=[_movement_out(m, number) for m, number in moved.all()],
        reconciliation=[ReconciliationOut.model_validate(r) for r in lines],
    )


@router.get(
    "/report",
    response_model=StockReport,
    responses={
        200: {
            "content": {media_type: {} for media_type in MEDIA_TYPES.values()},
            "description": "JSON, or a file with format=xlsx, csv or pdf",
        }
    },
)
async def stock_report(
    principal: SparesReportReader,
    session: ReadSession,
    settings: Settings,
    period_from: Annotated[date | None, Query(alias="from", description="first day, Asia/Shanghai")] = None,
    period_to: Annotated[
        date | None, Query(alias="to", description="last day (inclusive); today when left out")
    ] = None,
    format: Literal["json", "xlsx", "csv", "pdf"] = "json",
) -> StockReport | Response:
    """The stock report (备品备件报表) per part and store (on hand, minimum, received/issued/returned in the
    period) and the period's flagged reconciliations, as JSON, XLSX, CSV or PDF."""
    for name, day in (("from", period_from), ("to", period_to)):
        if day is not None and not EARLIEST <= day <= LATEST:  # no instants in Asia/Shanghai
            raise RuleViolation(
                f"{name}: a day between {EARLIEST} and {LATEST}", field=name, code="period.out_of_range"
            )
    today = datetime.now(LOCAL).date()
    end = period_to or today
    start = period_from or end.replace(day=1)
    if start > end:
        raise RuleViolation("from is after to", field="from")
    built = await report.build(session, start, end)
    if format == "json":
        return built
    document, fmt = report.document(built), Format(format)
    # The shared renderer: XLSX and PDF in a child process (no render here holds the API's GIL).
    content = await file_bytes(document, fmt, settings.label_font_path)
    filename = quote(f"备品备件报表_{start.isoformat()}_{end.isoformat()}.{format}")
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f"attachment; filename={document.filename}.{format}; filename*=UTF-8''{filename}"
        },
    )
