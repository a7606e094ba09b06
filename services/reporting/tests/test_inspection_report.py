"""The daily inspection report (日常巡检报告): a day's rounds completed and missed, the items checked and
found abnormal, and each finding with the ticket it became, from the assets service's and intake's events
in any order and any number of times; in every format."""

import io
import uuid
from datetime import UTC, date, datetime
from typing import Any

from openpyxl import load_workbook

from opsdesk_shared.contracts.assets import InspectionFindingRaised, InspectionRoundCompleted, InspectionRoundMissed
from opsdesk_shared.contracts.intake import FindingTicketed
from opsdesk_shared.testing.workers import eventually, publish

from .support.harness import Reporting

DAY = date(2032, 5, 11)  # a day no other test touches
MORNING = datetime(2032, 5, 11, 2, 0, tzinfo=UTC)  # 10:00 Asia/Shanghai
EVENING = datetime(2032, 5, 11, 15, 59, tzinfo=UTC)


def finding(round_id: uuid.UUID, **fields: Any) -> InspectionFindingRaised:
    return InspectionFindingRaised.model_validate(
        {
            "finding_id": uuid.uuid4(),
            "round_id": round_id,
            "asset_id": uuid.uuid4(),
            "tag": "JF-KT-001",
            "asset_class": "air_conditioner",
            "unit_id": uuid.uuid4(),
            "site": "市局",
            "room": "一号机房",
            "item_key": "room_temperature",
            "item_label": "机房温度",
            "kind": "reading",
            "reading": 31.5,
            "measure_unit": "°C",
            "normal_low": 18,
            "normal_high": 27,
            "inspector_id": uuid.uuid4(),
            "inspector_name": "张工",
            "raised_at": MORNING,
            **fields,
        }
    )


async def test_a_days_rounds_findings_and_tickets_in_every_format(reporting: Reporting) -> None:
    walked, missed = uuid.uuid4(), uuid.uuid4()
    hot = finding(walked)
    lamp = finding(walked, tag="UPS-01", item_key="alarm", item_label="告警灯", kind="check", reading=False,
                   measure_unit=None, normal_low=None, normal_high=None)  # fmt: skip
    ticketed = FindingTicketed(
        finding_id=hot.finding_id, ticket_id=uuid.uuid4(), ticket_number="20320511-0001", opened=True, at=MORNING
    )
    added = FindingTicketed(
        finding_id=lamp.finding_id, ticket_id=uuid.uuid4(), ticket_number="20320510-0007", opened=False, at=MORNING
    )
    completed = InspectionRoundCompleted(
        round_id=walked, plan_id=uuid.uuid4(), plan_name="机房早巡检", day=DAY, due_at=MORNING, completed_at=MORNING,
        completed_by=uuid.uuid4(), completed_by_name="张工", stops=3, items_checked=9, abnormal_items=2,
    )  # fmt: skip
    missed_round = InspectionRoundMissed(
        round_id=missed, plan_id=uuid.uuid4(), plan_name="望京派出所日巡检", day=DAY, due_at=EVENING,
        post_name="驻场岗", stops=5, stops_checked=2, recorded_at=EVENING,
    )  # fmt: skip
    # Intake's answer before the finding itself, and everything twice.
    await publish(reporting.env.amqp_url, ticketed, added, hot, lamp, completed, missed_round)
    await publish(reporting.env.amqp_url, ticketed, completed, missed_round)

    async def settled() -> dict[str, Any] | None:
        body = (await reporting.get("/api/reports/inspections", day=DAY.isoformat())).json()
        done = body["rounds_due"] == 2 and body["findings"] == 2
        return body if done and all(f["ticket_number"] for f in body["finding_lines"]) else None

    report = await eventually(settled, timeout=30)
    assert (report["rounds_done"], report["rounds_missed"], report["completion_pct"]) == (1, 1, 50.0)
    assert (report["assets_checked"], report["items_checked"], report["abnormal_items"]) == (5, 9, 2)
    assert report["tickets_opened"] == 1
    lines = {f["tag"]: f for f in report["finding_lines"]}
    assert lines["JF-KT-001"]["reading"] == "31.5 °C (18–27 °C)" and lines["JF-KT-001"]["ticket_opened"] is True
    assert lines["UPS-01"]["reading"] == "否 no" and lines["UPS-01"]["ticket_number"] == "20320510-0007"

    csv = (await reporting.get("/api/reports/inspections", day=DAY.isoformat(), format="csv")).text
    assert "日常巡检报告" in csv and "望京派出所日巡检" in csv and "20320510-0007（追加 added）" in csv
    xlsx = await reporting.get("/api/reports/inspections", day=DAY.isoformat(), format="xlsx")
    cells = [c for ws in load_workbook(io.BytesIO(xlsx.content)).worksheets for r in ws.values for c in r]
    assert "20320511-0001" in cells and "机房早巡检" in cells
    pdf = await reporting.get("/api/reports/inspections", day=DAY.isoformat(), format="pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_who_reads_the_inspection_report(reporting: Reporting) -> None:
    for role in ("supervisor", "dispatcher", "admin", "project_manager"):
        assert (await reporting.get("/api/reports/inspections", role=role)).status_code == 200, role
    for role in ("requester", "hotline_operator", "engineer"):
        assert (await reporting.get("/api/reports/inspections", role=role)).status_code == 403, role
    bad = await reporting.get("/api/reports/inspections", day="2032-13-40")
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
