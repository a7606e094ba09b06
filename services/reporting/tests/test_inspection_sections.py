"""The inspection section of the weekly report and the inspection completion rate and ledger changes of the
quarterly report: a round done and a round missed, a finding and its ticket, an asset registered, changed and
retired and two of its technical-ledger facts recorded, from the assets service's and intake's events (each
twice); and the period's inspection figures the dashboard draws (`/api/reports/inspections/period`), in
every format."""

import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import openpyxl

from opsdesk_shared.contracts.assets import (
    AssetRegistered,
    AssetStatusChanged,
    AssetUpdated,
    InspectionFindingRaised,
    InspectionRoundCompleted,
    InspectionRoundMissed,
)
from opsdesk_shared.contracts.envelope import Envelope, Event
from opsdesk_shared.contracts.intake import FindingTicketed
from opsdesk_shared.testing.workers import eventually, publish

from .support.harness import Reporting

# A week (2037-W11) and a quarter (2037Q1) no other test touches.
WEEK, QUARTER = "2037-W11", "2037Q1"
TUESDAY, WEDNESDAY = date(2037, 3, 10), date(2037, 3, 11)
TUESDAY_10AM = datetime(2037, 3, 10, 2, 0, tzinfo=UTC)  # Asia/Shanghai
WEDNESDAY_EVENING = datetime(2037, 3, 11, 15, 59, tzinfo=UTC)


def at(event: Event, occurred_at: datetime) -> Envelope:
    """The event as the assets service's relay would have published it at that moment."""
    return Envelope.wrap(event, producer="assets", correlation_id=None).model_copy(update={"occurred_at": occurred_at})


def events(later: timedelta) -> list[Envelope | Event]:
    """The week's events, `later` (whole weeks) after the week of the reports test."""
    walked, ups, unit = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    tuesday, wednesday = TUESDAY + later, WEDNESDAY + later
    tuesday_10am, wednesday_evening = TUESDAY_10AM + later, WEDNESDAY_EVENING + later
    asset: dict[str, Any] = {
        "asset_id": ups,
        "tag": f"UPS-{ups.hex[:6]}",
        "asset_class": "ups",
        "security_zone": "公安信息网",
        "owning_system": "居住证系统",
        "unit_id": unit,
        "site": "市局",
        "room": "一号机房",
        "criticality": "high",
        "status": "in_service",
    }
    finding = InspectionFindingRaised(
        finding_id=uuid.uuid4(), round_id=walked, asset_id=ups, tag=asset["tag"], asset_class="ups", unit_id=unit,
        site="市局", room="一号机房", item_key="ups_load", item_label="UPS负载", kind="reading", reading=92,
        measure_unit="%", normal_high=80, inspector_id=uuid.uuid4(), inspector_name="张工", raised_at=tuesday_10am,
    )  # fmt: skip
    return [
        at(AssetRegistered(**asset, aggregate_version=1), datetime(2037, 3, 9, 1, 0, tzinfo=UTC) + later),
        at(AssetUpdated(**{**asset, "room": "二号机房"}, changed=["room"], aggregate_version=2), tuesday_10am),
        # A technical-ledger recording of two facts: the asset itself as it was (version 2 again).
        at(
            AssetUpdated(**{**asset, "room": "二号机房"}, technical=["firmware", "ip_address"], aggregate_version=2),
            tuesday_10am,
        ),
        AssetStatusChanged(
            asset_id=ups,
            tag=asset["tag"],
            unit_id=unit,
            asset_class="ups",
            from_status="in_service",
            to_status="retired",
            reason="电池报废",
            changed_at=wednesday_evening,
            aggregate_version=3,
        ),  # fmt: skip
        InspectionRoundCompleted(
            round_id=walked,
            plan_id=uuid.uuid4(),
            plan_name="机房早巡检",
            day=tuesday,
            due_at=tuesday_10am,
            completed_at=tuesday_10am,
            completed_by=uuid.uuid4(),
            completed_by_name="张工",
            stops=3,
            items_checked=9,
            abnormal_items=1,
        ),  # fmt: skip
        InspectionRoundMissed(
            round_id=uuid.uuid4(),
            plan_id=uuid.uuid4(),
            plan_name="望京派出所日巡检",
            day=wednesday,
            due_at=wednesday_evening,
            post_name="驻场岗",
            stops=5,
            stops_checked=0,
            recorded_at=wednesday_evening,
        ),  # fmt: skip
        finding,
        FindingTicketed(
            finding_id=finding.finding_id,
            ticket_id=uuid.uuid4(),
            ticket_number=f"{tuesday:%Y%m%d}-0001",
            opened=True,
            at=tuesday_10am,
        ),  # fmt: skip
    ]


async def published(reporting: Reporting, quarter: str, later: timedelta = timedelta(0)) -> dict[str, Any]:
    """Publishes the events twice and waits for the quarter to hold all of them."""
    sent = await publish(reporting.env.amqp_url, *events(later))
    await publish(reporting.env.amqp_url, *reversed(sent))

    async def settled() -> dict[str, Any] | None:
        body = (await reporting.get("/api/reports/quarterly", quarter=quarter)).json()
        ins, ledger = body["inspections"], body["ledger"]
        whole = ins["rounds_due"] == 2 and ins["tickets_opened"] == 1
        counts = (ledger["registered"], ledger["updated"], ledger["technical"], ledger["retired"])
        return body if whole and counts == (1, 1, 2, 1) else None

    report: dict[str, Any] = await eventually(settled, timeout=30)
    return report


def figures(body: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("rounds_due", "rounds_done", "rounds_missed", "completion_pct", "items_checked", "abnormal_items")
    return tuple(body[k] for k in (*keys, "findings", "tickets_opened"))


async def test_a_done_and_a_missed_round_in_the_weekly_and_quarterly_reports(reporting: Reporting) -> None:
    quarterly = await published(reporting, QUARTER)
    assert figures(quarterly["inspections"]) == (2, 1, 1, 50.0, 9, 1, 1, 1)
    assert [(c["asset_class"], c["findings"]) for c in quarterly["inspections"]["by_class"]] == [("ups", 1)]
    ledger = quarterly["ledger"]
    assert ledger["status_changes"] == 1
    assert ledger["moves"] == [{"from_status": "in_service", "to_status": "retired", "changes": 1}]
    ups = next(c for c in ledger["by_class"] if c["asset_class"] == "ups")
    counted = ("registered", "updated", "technical", "status_changes", "retired")
    assert [ups[k] for k in counted] == [1, 1, 2, 1, 1]

    weekly = (await reporting.get("/api/reports/weekly", week=WEEK)).json()["inspections"]
    assert figures(weekly) == (2, 1, 1, 50.0, 9, 1, 1, 1)
    per_day = {d["day"]: (d["rounds_done"], d["rounds_missed"]) for d in weekly["per_day"]}
    assert len(per_day) == 7 and per_day[TUESDAY.isoformat()] == (1, 0) and per_day[WEDNESDAY.isoformat()] == (0, 1)
    [line] = weekly["finding_lines"]
    assert (line["reading"], line["ticket_number"]) == ("92 % (≤ 80 %)", "20370310-0001")

    csv = (await reporting.get("/api/reports/weekly", week=WEEK, format="csv")).text
    assert "每日巡检 Inspections per day" in csv and "20370310-0001" in csv and "UPS电源 (ups)" in csv
    xlsx = await reporting.get("/api/reports/quarterly", quarter=QUARTER, format="xlsx")
    cells = [c for ws in openpyxl.load_workbook(io.BytesIO(xlsx.content)).worksheets for r in ws.values for c in r]
    assert "设备台帐变更 Equipment ledger changes" in cells and "已报废 (retired)" in cells
    assert 0.5 in cells  # the completion rate, a percentage cell
    for path, params in (("/api/reports/weekly", {"week": WEEK}), ("/api/reports/quarterly", {"quarter": QUARTER})):
        pdf = await reporting.get(path, format="pdf", **params)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), path
    annual = (await reporting.get("/api/reports/annual", year=2036)).json()  # 2036-05-29 – 2037-05-28
    assert annual["inspections"]["rounds_missed"] >= 1 and annual["ledger"]["retired"] >= 1


async def test_the_period_figures_the_dashboard_draws(reporting: Reporting) -> None:
    await published(reporting, "2037Q2", timedelta(weeks=13))  # a quarter of its own
    span = {"from": "2037-06-08", "to": "2037-06-14"}
    body = (await reporting.get("/api/reports/inspections/period", role="project_manager", **span)).json()
    assert figures(body) == (2, 1, 1, 50.0, 9, 1, 1, 1) and body["finding_lines"] is None
    assert [d["rounds_missed"] for d in body["per_day"]] == [0, 0, 1, 0, 0, 0, 0]
    xlsx = await reporting.get("/api/reports/inspections/period", format="xlsx", **span)
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx.headers["content-type"]

    for role in ("requester", "hotline_operator", "engineer"):
        assert (await reporting.get("/api/reports/inspections/period", role=role)).status_code == 403, role
    bad = await reporting.get("/api/reports/inspections/period", **{"from": "2037-03-15", "to": "2037-03-09"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert "from" in bad.text
