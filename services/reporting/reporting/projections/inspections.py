"""Inspections as the daily and machine-room inspection reports see them: each round completed or missed
(`inspection.round_completed` / `round_missed`, from assets) with its assets' classes and, once completed,
every item's result (`inspection_reading_fact`), each finding (`inspection.finding_raised`)
and the ticket it became (`finding.ticketed`, from intake). Rows are upserts keyed by the round or the
finding, so events give the same facts in any order and any number of times."""

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.assets import (
    InspectionFindingRaised,
    InspectionRoundCompleted,
    InspectionRoundMissed,
    RoundReading,
)
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import FindingTicketed
from reporting.periods import local_day


def _number(value: float) -> str:
    return f"{value:g}"


def reading_text(finding: InspectionFindingRaised) -> str:
    """`31.5 °C (18–27 °C)`, `92 % (≤ 80 %)`, or `否 no` for a check answered no."""
    if finding.kind == "check" or isinstance(finding.reading, bool):
        return "否 no" if finding.reading is False else str(finding.reading)
    unit = f" {finding.measure_unit}" if finding.measure_unit else ""
    value = "" if finding.reading is None else _number(float(finding.reading))
    low, high = finding.normal_low, finding.normal_high
    if low is not None and high is not None:
        normal = f"{_number(low)}–{_number(high)}{unit}"
    elif low is not None:
        normal = f"≥ {_number(low)}{unit}"
    elif high is not None:
        normal = f"≤ {_number(high)}{unit}"
    else:
        return f"{value}{unit}"
    return f"{value}{unit} ({normal})"


def value_text(reading: RoundReading) -> str:
    """A reading as printed: `24.5`, or `是 yes` / `否 no` for a check."""
    if reading.value is None:
        return ""
    if isinstance(reading.value, bool):
        return "是 yes" if reading.value else "否 no"
    return _number(float(reading.value))


def normal_text(low: float | None, high: float | None, unit: str | None) -> str:
    """`18–27 °C`, `≤ 80 %`, `≥ 20 %`, or empty without a range."""
    suffix = f" {unit}" if unit else ""
    if low is not None and high is not None:
        return f"{_number(low)}–{_number(high)}{suffix}"
    if low is not None:
        return f"≥ {_number(low)}{suffix}"
    if high is not None:
        return f"≤ {_number(high)}{suffix}"
    return ""


# Each item of a completed round, once (a redelivery rewrites the same values).
_READING = text(
    "INSERT INTO inspection_reading_fact (round_id, asset_id, item_key, day, tag, asset_class, place, item_label,"
    " kind, value, measure_unit, normal_low, normal_high, abnormal, checked_at, checked_by_name) "
    "VALUES (:round_id, :asset_id, :item_key, :day, :tag, :asset_class, :place, :item_label, :kind, :value,"
    " :measure_unit, :normal_low, :normal_high, :abnormal, :checked_at, :checked_by_name) "
    "ON CONFLICT (round_id, asset_id, item_key) DO NOTHING"
)


# A completed round stays completed: a round cannot be missed once done (assets refuses it), so a missed
# event can only be older news of the same round.
_ROUND = text(
    "INSERT INTO inspection_round_fact AS r (round_id, plan_id, plan_name, day, due_at, post_name, status,"
    " completed_at, completed_by_name, stops, stops_checked, items_checked, abnormal_items, missed_recorded_at,"
    " asset_classes) "
    "VALUES (:round_id, :plan_id, :plan_name, :day, :due_at, :post_name, :status, :completed_at, :completed_by_name,"
    " :stops, :stops_checked, :items_checked, :abnormal_items, :missed_recorded_at, :asset_classes) "
    "ON CONFLICT (round_id) DO UPDATE SET status = EXCLUDED.status, completed_at = EXCLUDED.completed_at,"
    " completed_by_name = EXCLUDED.completed_by_name, stops = EXCLUDED.stops, stops_checked = EXCLUDED.stops_checked,"
    " items_checked = EXCLUDED.items_checked, abnormal_items = EXCLUDED.abnormal_items,"
    " missed_recorded_at = EXCLUDED.missed_recorded_at, asset_classes = EXCLUDED.asset_classes "
    "WHERE r.status <> 'completed'"
)


async def round_completed(session: AsyncSession, envelope: Envelope) -> UUID | None:
    done = envelope.parse(InspectionRoundCompleted)
    await session.execute(
        _ROUND,
        {
            "round_id": done.round_id,
            "plan_id": done.plan_id,
            "plan_name": done.plan_name,
            "day": done.day,
            "due_at": done.due_at,
            "post_name": None,
            "status": "completed",
            "completed_at": done.completed_at,
            "completed_by_name": done.completed_by_name,
            "stops": done.stops,
            "stops_checked": done.stops,
            "items_checked": done.items_checked,
            "abnormal_items": done.abnormal_items,
            "missed_recorded_at": None,
            "asset_classes": done.asset_classes,
        },
    )
    if done.readings:
        await session.execute(
            _READING,
            [
                {
                    "round_id": done.round_id,
                    "asset_id": r.asset_id,
                    "item_key": r.item_key,
                    "day": done.day,
                    "tag": r.tag,
                    "asset_class": r.asset_class,
                    "place": " ".join(p for p in (r.site, r.room) if p),
                    "item_label": r.item_label,
                    "kind": r.kind,
                    "value": value_text(r),
                    "measure_unit": r.measure_unit,
                    "normal_low": r.normal_low,
                    "normal_high": r.normal_high,
                    "abnormal": r.abnormal,
                    "checked_at": r.checked_at,
                    "checked_by_name": r.checked_by_name,
                }
                for r in done.readings
            ],
        )
    return None


async def round_missed(session: AsyncSession, envelope: Envelope) -> UUID | None:
    missed = envelope.parse(InspectionRoundMissed)
    await session.execute(
        _ROUND,
        {
            "round_id": missed.round_id,
            "plan_id": missed.plan_id,
            "plan_name": missed.plan_name,
            "day": missed.day,
            "due_at": missed.due_at,
            "post_name": missed.post_name,
            "status": "missed",
            "completed_at": None,
            "completed_by_name": None,
            "stops": missed.stops,
            "stops_checked": missed.stops_checked,
            "items_checked": 0,
            "abnormal_items": 0,
            "missed_recorded_at": missed.recorded_at,
            "asset_classes": missed.asset_classes,
        },
    )
    return None


_FINDING = text(
    "INSERT INTO inspection_finding_fact AS f (finding_id, round_id, day, asset_id, tag, asset_class, unit_id, place,"
    " item_label, reading, inspector_name, raised_at) "
    "VALUES (:finding_id, :round_id, :day, :asset_id, :tag, :asset_class, :unit_id, :place, :item_label, :reading,"
    " :inspector_name, :raised_at) "
    "ON CONFLICT (finding_id) DO UPDATE SET round_id = EXCLUDED.round_id, day = EXCLUDED.day,"
    " asset_id = EXCLUDED.asset_id, tag = EXCLUDED.tag, asset_class = EXCLUDED.asset_class,"
    " unit_id = EXCLUDED.unit_id, place = EXCLUDED.place, item_label = EXCLUDED.item_label,"
    " reading = EXCLUDED.reading, inspector_name = EXCLUDED.inspector_name, raised_at = EXCLUDED.raised_at"
)
_TICKETED = text(
    "INSERT INTO inspection_finding_fact (finding_id, ticket_id, ticket_number, ticket_opened) "
    "VALUES (:finding_id, :ticket_id, :ticket_number, :opened) "
    "ON CONFLICT (finding_id) DO UPDATE SET ticket_id = EXCLUDED.ticket_id, ticket_number = EXCLUDED.ticket_number,"
    " ticket_opened = EXCLUDED.ticket_opened"
)


async def finding_raised(session: AsyncSession, envelope: Envelope) -> UUID | None:
    finding = envelope.parse(InspectionFindingRaised)
    await session.execute(
        _FINDING,
        {
            "finding_id": finding.finding_id,
            "round_id": finding.round_id,
            "day": local_day(finding.raised_at),
            "asset_id": finding.asset_id,
            "tag": finding.tag,
            "asset_class": finding.asset_class,
            "unit_id": finding.unit_id,
            "place": " ".join(p for p in (finding.site, finding.room) if p),
            "item_label": finding.item_label,
            "reading": reading_text(finding),
            "inspector_name": finding.inspector_name,
            "raised_at": finding.raised_at,
        },
    )
    return None


async def finding_ticketed(session: AsyncSession, envelope: Envelope) -> UUID | None:
    ticketed = envelope.parse(FindingTicketed)
    await session.execute(
        _TICKETED,
        {
            "finding_id": ticketed.finding_id,
            "ticket_id": ticketed.ticket_id,
            "ticket_number": ticketed.ticket_number,
            "opened": ticketed.opened,
        },
    )
    return None


HANDLERS = {
    InspectionRoundCompleted.type: round_completed,
    InspectionRoundMissed.type: round_missed,
    InspectionFindingRaised.type: finding_raised,
    FindingTicketed.type: finding_ticketed,
}
