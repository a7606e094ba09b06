"""Inspections' rules with the database: templates and plans kept by the desk, rounds made each day by the
worker (idempotently: one per plan per day), walked asset by asset by an engineer, completed or missed."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Select, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from assets.inspections import rules
from assets.inspections.models import ChecklistTemplate, Finding, InspectionPlan, InspectionRound, RoundStop
from assets.inspections.rules import Frequency, ItemKind, RoundStatus, Schedule
from assets.inspections.schemas import PlanCreate, PlanPatch, StopCheck, TemplateCreate, TemplatePatch, check_shape
from assets.ledger.models import Asset
from opsdesk_shared.auth import Principal
from opsdesk_shared.contracts.assets import (
    InspectionFindingRaised,
    InspectionRoundCompleted,
    InspectionRoundMissed,
    RoundReading,
)
from opsdesk_shared.contracts.vocabulary import AssetStatus
from opsdesk_shared.errors import Conflict, NotFound, RuleViolation
from opsdesk_shared.messaging.outbox import add_event

PRODUCER = "assets"
# How far back a new plan may start (its earlier days' rounds are made, and missed, at once).
BACKDATE_DAYS = 31
# Equipment that is not there to inspect.
NOT_INSPECTED = (AssetStatus.RETIRED, AssetStatus.OFF_SITE)


def now() -> datetime:
    return datetime.now(UTC)


# Templates ------------------------------------------------------------------------------------------------


async def create_template(session: AsyncSession, principal: Principal, cmd: TemplateCreate) -> ChecklistTemplate:
    at = now()
    template = ChecklistTemplate(
        id=uuid4(),
        name=cmd.name,
        asset_class=cmd.asset_class,
        items=[i.model_dump(mode="json") for i in cmd.items],
        active=True,
        version=1,
        created_at=at,
        created_by=principal.subject,
        updated_at=at,
        updated_by=principal.subject,
    )
    session.add(template)
    await session.flush()
    return template


async def get_template(session: AsyncSession, template_id: UUID, *, for_update: bool = False) -> ChecklistTemplate:
    template = await session.get(ChecklistTemplate, template_id, with_for_update=for_update)
    if template is None:
        raise NotFound(f"no checklist template {template_id}")
    return template


async def patch_template(
    session: AsyncSession, principal: Principal, template_id: UUID, cmd: TemplatePatch
) -> ChecklistTemplate:
    """Changes apply to the rounds made from now on; a round already made keeps the checklist it was made with."""
    template = await get_template(session, template_id, for_update=True)
    changes = cmd.model_dump(exclude_unset=True, mode="json")
    if changes.get("name") is None:
        changes.pop("name", None)
    if changes.get("active") is None:
        changes.pop("active", None)
    if changes.get("items") is None:
        changes.pop("items", None)
    for name, value in changes.items():
        setattr(template, name, value)
    template.version += 1
    template.updated_at, template.updated_by = now(), principal.subject
    await session.flush()
    return template


async def list_templates(session: AsyncSession, asset_class: str | None) -> Sequence[ChecklistTemplate]:
    query = select(ChecklistTemplate).order_by(ChecklistTemplate.asset_class, ChecklistTemplate.name)
    if asset_class:
        query = query.where(ChecklistTemplate.asset_class == asset_class)
    return (await session.scalars(query)).all()


# Plans ----------------------------------------------------------------------------------------------------


async def _check_assets(session: AsyncSession, asset_ids: list[UUID]) -> None:
    if not asset_ids:
        return
    known = set(await session.scalars(select(Asset.id).where(Asset.id.in_(asset_ids))))
    unknown = [a for a in asset_ids if a not in known]
    if unknown:
        raise RuleViolation(f"no asset {unknown[0]} in the ledger", field="asset_ids", code="inspection.asset_unknown")


def first_day(today: date, due_time: time | None, at: datetime) -> date:
    """A plan made today starts today, unless today's hour has passed already: then tomorrow (a round that
    would be missed the moment it is made is not a round)."""
    return today if rules.due_at(today, due_time) > at else today + timedelta(days=1)


async def create_plan(session: AsyncSession, principal: Principal, cmd: PlanCreate) -> InspectionPlan:
    at = now()
    today = rules.local_day(at)
    starts_on = cmd.starts_on or first_day(today, cmd.due_time, at)
    if starts_on < today - timedelta(days=BACKDATE_DAYS):
        raise RuleViolation(
            f"a plan starts at most {BACKDATE_DAYS} days back",
            field="starts_on",
            code="inspection.backdated",
            params={"days": BACKDATE_DAYS},
        )
    await _check_assets(session, cmd.asset_ids)
    plan = InspectionPlan(
        id=uuid4(),
        **cmd.model_dump(exclude={"starts_on", "rooms"}),
        rooms=[r.model_dump() for r in cmd.rooms],
        starts_on=starts_on,
        active=True,
        version=1,
        created_at=at,
        created_by=principal.subject,
        updated_at=at,
        updated_by=principal.subject,
    )
    session.add(plan)
    await session.flush()
    return plan


async def get_plan(session: AsyncSession, plan_id: UUID, *, for_update: bool = False) -> InspectionPlan:
    plan = await session.get(InspectionPlan, plan_id, with_for_update=for_update)
    if plan is None:
        raise NotFound(f"no inspection plan {plan_id}")
    return plan


async def patch_plan(session: AsyncSession, principal: Principal, plan_id: UUID, cmd: PlanPatch) -> InspectionPlan:
    """Applies to the days whose rounds are not made yet."""
    plan = await get_plan(session, plan_id, for_update=True)
    changes = cmd.model_dump(exclude_unset=True)
    for required in ("name", "frequency", "active", "asset_ids", "rooms"):
        if required in changes and changes[required] is None:
            raise RuleViolation(f"{required} cannot be emptied", field=required)
    if "asset_ids" in changes:
        await _check_assets(session, changes["asset_ids"])
    if "rooms" in changes:
        changes["rooms"] = [r.model_dump() for r in cmd.rooms or []]
    merged = {**{k: getattr(plan, k) for k in ("frequency", "weekday", "month_day", "asset_ids", "rooms")}, **changes}
    try:
        check_shape(Frequency(merged["frequency"]), merged["weekday"], merged["month_day"], merged["asset_ids"],
                    merged["rooms"])  # fmt: skip
    except ValueError as exc:
        raise RuleViolation(str(exc), field="frequency", code="inspection.plan_shape") from exc
    if changes.get("active") and not plan.active:
        # Back in use: its rounds resume today, the days it was off are not owed (nor missed).
        today = rules.local_day(now())
        if plan.generated_through is not None:
            plan.generated_through = max(plan.generated_through, today - timedelta(days=1))
        plan.starts_on = max(plan.starts_on, today)
    for name, value in changes.items():
        setattr(plan, name, value)
    plan.version += 1
    plan.updated_at, plan.updated_by = now(), principal.subject
    await session.flush()
    return plan


async def list_plans(session: AsyncSession) -> Sequence[InspectionPlan]:
    return (await session.scalars(select(InspectionPlan).order_by(InspectionPlan.name))).all()


# The worker: each day's rounds, and the rounds that missed their deadline ---------------------------------


def schedule_of(plan: InspectionPlan) -> Schedule:
    return Schedule(Frequency(plan.frequency), plan.weekday, plan.month_day)


async def _assets_of(session: AsyncSession, plan: InspectionPlan) -> list[Asset]:
    wanted = []
    if plan.asset_ids:
        wanted.append(Asset.id.in_(plan.asset_ids))
    if plan.rooms:
        wanted.append(tuple_(Asset.site, Asset.room).in_([(r["site"], r["room"]) for r in plan.rooms]))
    if not wanted:
        return []
    query = select(Asset).where(or_(*wanted), Asset.status.not_in(NOT_INSPECTED))
    return list(await session.scalars(query.order_by(Asset.site, Asset.room, Asset.rack, Asset.tag)))


async def _templates_by_class(session: AsyncSession) -> dict[str, ChecklistTemplate]:
    """The checklist of each class: its newest active template."""
    rows = await session.scalars(
        select(ChecklistTemplate).where(ChecklistTemplate.active).order_by(ChecklistTemplate.updated_at.desc())
    )
    chosen: dict[str, ChecklistTemplate] = {}
    for template in rows:
        chosen.setdefault(template.asset_class, template)
    return chosen


async def generate(session: AsyncSession, at: datetime) -> int:
    """Makes the rounds of every active plan from the day after its last made one through today: one per plan
    per day, whoever runs it and however often (the plan row is locked, the (plan, day) pair unique).
    Returns how many rounds were made."""
    today = rules.local_day(at)
    plans = await session.scalars(
        select(InspectionPlan)
        .where(
            InspectionPlan.active,
            or_(InspectionPlan.generated_through.is_(None), InspectionPlan.generated_through < today),
        )  # fmt: skip
        .with_for_update(skip_locked=True)
    )
    templates: dict[str, ChecklistTemplate] | None = None
    made = 0
    for plan in plans.all():
        days = rules.days_to_generate(schedule_of(plan), plan.generated_through, plan.starts_on, today)
        if days:
            templates = templates if templates is not None else await _templates_by_class(session)
            assets = await _assets_of(session, plan)
        for day in days:
            made += await _make_round(session, plan, day, assets, templates or {}, at)
        plan.generated_through = today
    await session.flush()
    return made


async def _make_round(
    session: AsyncSession,
    plan: InspectionPlan,
    day: date,
    assets: list[Asset],
    templates: dict[str, ChecklistTemplate],
    at: datetime,
) -> int:
    round_id = uuid4()
    inserted = await session.scalar(
        insert(InspectionRound)
        .values(
            id=round_id,
            plan_id=plan.id,
            plan_name=plan.name,
            post_id=plan.post_id,
            post_name=plan.post_name,
            day=day,
            due_at=rules.due_at(day, plan.due_time),
            status=RoundStatus.OPEN,
            generated_at=at,
            version=1,
        )
        .on_conflict_do_nothing(constraint="inspection_round_plan_id_day_key")
        .returning(InspectionRound.id)
    )
    if inserted is None:
        return 0
    stops = []
    for position, asset in enumerate(assets):
        template = templates.get(asset.asset_class)
        stops.append(
            {
                "id": uuid4(),
                "round_id": round_id,
                "position": position,
                "asset_id": asset.id,
                "tag": asset.tag,
                "asset_name": asset.name,
                "asset_class": asset.asset_class,
                "unit_id": asset.unit_id,
                "site": asset.site,
                "room": asset.room,
                "template_id": template.id if template else None,
                "items": template.items if template else [],
            }
        )
    if stops:
        await session.execute(insert(RoundStop), stops)
    return 1


async def record_missed(session: AsyncSession, at: datetime, limit: int = 500) -> int:
    """Rounds still open past their deadline become missed, each announced: however long ago the deadline
    passed (a worker that was down records them when it returns). Returns how many."""
    overdue = (
        await session.scalars(
            select(InspectionRound)
            .where(InspectionRound.status == RoundStatus.OPEN, InspectionRound.due_at <= at)
            .order_by(InspectionRound.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    counts = await _stop_counts(session, [r.id for r in overdue])
    classes = await _classes_of(session, [r.id for r in overdue])
    for round_ in overdue:
        round_.status, round_.missed_at = RoundStatus.MISSED, at
        round_.version += 1
        total, checked, _ = counts.get(round_.id, (0, 0, 0))
        await add_event(
            session,
            InspectionRoundMissed(
                round_id=round_.id,
                plan_id=round_.plan_id,
                plan_name=round_.plan_name,
                day=round_.day,
                due_at=round_.due_at,
                post_id=round_.post_id,
                post_name=round_.post_name,
                stops=total,
                stops_checked=checked,
                recorded_at=at,
                asset_classes=classes.get(round_.id, []),
            ),
            producer=PRODUCER,
        )
    await session.flush()
    return len(overdue)


async def _classes_of(session: AsyncSession, round_ids: list[UUID]) -> dict[UUID, list[str]]:
    """Per round: the classes of its assets, sorted."""
    if not round_ids:
        return {}
    rows = await session.execute(
        select(RoundStop.round_id, RoundStop.asset_class).where(RoundStop.round_id.in_(round_ids)).distinct()
    )
    classes: dict[UUID, list[str]] = {}
    for round_id, asset_class in rows.all():
        classes.setdefault(round_id, []).append(asset_class)
    return {round_id: sorted(names) for round_id, names in classes.items()}


def _readings(stops: list[RoundStop]) -> list[RoundReading]:
    out = []
    for stop in stops:
        for item in stop.items:
            result = (stop.results or {}).get(item["key"])
            if result is None:
                continue
            out.append(
                RoundReading(
                    asset_id=stop.asset_id,
                    tag=stop.tag,
                    asset_class=stop.asset_class,
                    site=stop.site,
                    room=stop.room,
                    item_key=item["key"],
                    item_label=item["label"],
                    kind=item["kind"],
                    value=result["value"],
                    measure_unit=item.get("unit"),
                    normal_low=item.get("low"),
                    normal_high=item.get("high"),
                    abnormal=bool(result["abnormal"]),
                    checked_at=stop.checked_at,
                    checked_by_name=stop.checked_by_name,
                )
            )
    return out


# Rounds ---------------------------------------------------------------------------------------------------


async def _stop_counts(session: AsyncSession, round_ids: list[UUID]) -> dict[UUID, tuple[int, int, int]]:
    """Per round: stops, stops checked, abnormal items."""
    counts: dict[UUID, tuple[int, int, int]] = {}
    if not round_ids:
        return counts
    rows = await session.execute(
        select(RoundStop.round_id, RoundStop.checked_at, RoundStop.results).where(RoundStop.round_id.in_(round_ids))
    )
    for round_id, checked_at, results in rows:
        total, checked, abnormal = counts.get(round_id, (0, 0, 0))
        flagged = sum(1 for r in (results or {}).values() if r.get("abnormal"))
        counts[round_id] = (total + 1, checked + (checked_at is not None), abnormal + flagged)
    return counts


async def round_counts(session: AsyncSession, round_ids: list[UUID]) -> dict[UUID, tuple[int, int, int]]:
    return await _stop_counts(session, round_ids)


def rounds_query(day: date | None, status: RoundStatus | None, plan_id: UUID | None) -> Select[Any]:
    query = select(InspectionRound).order_by(InspectionRound.due_at, InspectionRound.plan_name)
    query = query.where(InspectionRound.day == (day or rules.local_day(now())))
    if status:
        query = query.where(InspectionRound.status == status)
    if plan_id:
        query = query.where(InspectionRound.plan_id == plan_id)
    return query


async def get_round(session: AsyncSession, round_id: UUID, *, for_update: bool = False) -> InspectionRound:
    round_ = await session.get(InspectionRound, round_id, with_for_update=for_update)
    if round_ is None:
        raise NotFound(f"no inspection round {round_id}")
    return round_


async def stops_of(session: AsyncSession, round_id: UUID) -> list[RoundStop]:
    return list(
        await session.scalars(select(RoundStop).where(RoundStop.round_id == round_id).order_by(RoundStop.position))
    )


def _require_walkable(round_: InspectionRound, at: datetime) -> None:
    if round_.status == RoundStatus.COMPLETED:
        raise Conflict(
            "this round is completed already",
            field="round_id",
            rule="round-completed-once",
            code="inspection.completed",
        )
    if round_.status == RoundStatus.MISSED or at >= round_.due_at:
        raise Conflict(
            f"this round was due by {round_.due_at.astimezone(rules.SHANGHAI):%Y-%m-%d %H:%M} and is missed",
            field="round_id",
            rule="round-deadline",
            code="inspection.missed",
            params={"due": f"{round_.due_at.astimezone(rules.SHANGHAI):%m-%d %H:%M}"},
        )


def judge(items: list[dict[str, Any]], results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each item's result, typed and judged; a wrong type, a missing or an unknown item is refused by name."""
    known = {item["key"]: item for item in items}
    for key in results:
        if key not in known:
            raise RuleViolation(
                f"no item {key} on this asset's checklist",
                field=f"results.{key}",
                code="inspection.item_unknown",
                params={"item": key},
            )
    judged = {}
    for key, item in known.items():
        if key not in results:
            raise RuleViolation(
                f"{item['label']} ({key}) has no result",
                field=f"results.{key}",
                code="inspection.result_missing",
                params={"item": item["label"]},
            )
        value, kind = results[key], ItemKind(item["kind"])
        problem = rules.type_error(kind, value)
        if problem:
            params = {"item": item["label"]}
            detail, field = f"{item['label']} ({key}): {problem}", f"results.{key}"
            if kind == ItemKind.CHECK:
                raise RuleViolation(detail, field=field, code="inspection.check_not_yes_no", params=params)
            raise RuleViolation(detail, field=field, code="inspection.reading_not_a_number", params=params)
        value = value if kind == ItemKind.CHECK else float(value)
        judged[key] = {"value": value, "abnormal": rules.abnormal(kind, value, item.get("low"), item.get("high"))}
    return judged


async def check_stop(
    session: AsyncSession, principal: Principal, round_id: UUID, stop_id: UUID, cmd: StopCheck
) -> RoundStop:
    """An asset of the round checked (again, until the round is completed); each abnormal item raises a finding
    once per round."""
    at = now()
    round_ = await get_round(session, round_id, for_update=True)
    _require_walkable(round_, at)
    stop = await session.get(RoundStop, stop_id)
    if stop is None or stop.round_id != round_id:
        raise NotFound(f"no stop {stop_id} on round {round_id}", field="stop_id")
    judged = judge(stop.items, cmd.results)
    stop.results, stop.note = judged, cmd.note
    stop.checked_at, stop.checked_by, stop.checked_by_name = at, principal.subject, principal.username
    items = {item["key"]: item for item in stop.items}
    for key, result in judged.items():
        if not result["abnormal"]:
            continue
        item = items[key]
        finding_id = await session.scalar(
            insert(Finding)
            .values(
                id=uuid4(),
                round_id=round_id,
                stop_id=stop.id,
                asset_id=stop.asset_id,
                item_key=key,
                item_label=item["label"],
                reading=result["value"],
                raised_at=at,
                raised_by=principal.subject,
                raised_by_name=principal.username,
            )
            .on_conflict_do_nothing(constraint="inspection_finding_stop_id_item_key_key")
            .returning(Finding.id)
        )
        if finding_id is None:
            continue  # raised when the stop was checked before
        await add_event(
            session,
            InspectionFindingRaised(
                finding_id=finding_id,
                round_id=round_id,
                asset_id=stop.asset_id,
                tag=stop.tag,
                asset_class=stop.asset_class,
                unit_id=stop.unit_id,
                site=stop.site,
                room=stop.room,
                item_key=key,
                item_label=item["label"],
                kind=item["kind"],
                reading=result["value"],
                measure_unit=item.get("unit"),
                normal_low=item.get("low"),
                normal_high=item.get("high"),
                note=cmd.note,
                inspector_id=principal.subject,
                inspector_name=principal.username,
                raised_at=at,
            ),
            producer=PRODUCER,
        )
    round_.version += 1
    await session.flush()
    return stop


async def complete(session: AsyncSession, principal: Principal, round_id: UUID) -> InspectionRound:
    at = now()
    round_ = await get_round(session, round_id, for_update=True)
    _require_walkable(round_, at)
    stops = await stops_of(session, round_id)
    unchecked = [s.tag for s in stops if s.checked_at is None]
    if unchecked:
        raise RuleViolation(
            f"{len(unchecked)} asset(s) not checked yet: {', '.join(unchecked[:10])}",
            field="stops",
            code="inspection.stops_unchecked",
            params={"count": len(unchecked), "tags": ", ".join(unchecked[:10])},
        )
    round_.status = RoundStatus.COMPLETED
    round_.completed_at, round_.completed_by, round_.completed_by_name = at, principal.subject, principal.username
    round_.version += 1
    results = [r for s in stops for r in (s.results or {}).values()]
    await add_event(
        session,
        InspectionRoundCompleted(
            round_id=round_.id,
            plan_id=round_.plan_id,
            plan_name=round_.plan_name,
            day=round_.day,
            due_at=round_.due_at,
            post_id=round_.post_id,
            completed_at=at,
            completed_by=principal.subject,
            completed_by_name=principal.username,
            stops=len(stops),
            items_checked=len(results),
            abnormal_items=sum(1 for r in results if r["abnormal"]),
            asset_classes=sorted({s.asset_class for s in stops}),
            readings=_readings(stops),
        ),
        producer=PRODUCER,
    )
    await session.flush()
    return round_


async def findings(session: AsyncSession, day: date | None, round_id: UUID | None) -> Sequence[Finding]:
    query = select(Finding).order_by(Finding.raised_at.desc())
    if round_id:
        query = query.where(Finding.round_id == round_id)
    else:
        query = query.join(InspectionRound, InspectionRound.id == Finding.round_id).where(
            InspectionRound.day == (day or rules.local_day(now()))
        )
    return (await session.scalars(query.limit(1000))).all()
