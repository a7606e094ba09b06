"""Equipment statistics (设备统计/故障分析) and the machine-room inspection report (机房巡检报告), from the
assets service's, intake's and monitoring's events in any order and any number of times; in every format."""

import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from openpyxl import load_workbook

from opsdesk_shared.contracts.assets import (
    AssetRegistered,
    AssetStatusChanged,
    InspectionRoundCompleted,
    InspectionRoundMissed,
    RoundReading,
)
from opsdesk_shared.contracts.intake import FindingTicketed, TicketCreated
from opsdesk_shared.testing.workers import eventually, publish

from .support.harness import Reporting
from .test_inspection_report import finding

# A week long past (time out of service is measured up to now), Asia/Shanghai; the tests' unit is their own.
PERIOD = {"from": "2021-06-07", "to": "2021-06-13"}
MONDAY = datetime(2021, 6, 6, 16, 0, tzinfo=UTC)  # 2021-06-07 00:00 in Shanghai


def _asset(unit: uuid.UUID, tag: str, asset_class: str, zone: str) -> AssetRegistered:
    return AssetRegistered(
        asset_id=uuid.uuid4(),
        tag=tag,
        asset_class=asset_class,
        name=f"{tag} 设备",
        security_zone=zone,
        owning_system="居住证信息系统",
        unit_id=unit,
        site="市局数据中心",
        room="三楼主机房",
        criticality="important",
        status="in_service",
        aggregate_version=1,
    )


def _fault(asset: AssetRegistered, at: datetime, *, category: str = "fault", **fields: Any) -> TicketCreated:
    return TicketCreated(
        ticket_id=uuid.uuid4(),
        number=f"{at:%Y%m%d}-{uuid.uuid4().int % 10000:04d}",
        title="设备故障",
        category=category,
        priority="P2",
        status="new",
        unit_id=asset.unit_id,
        channel="hotline",
        requester_name="张*",
        requester_phone="+8613800138000",
        created_at=at,
        asset_tag=asset.tag,
        asset_id=asset.asset_id,
        aggregate_version=1,
        **fields,
    )


def _status(asset: AssetRegistered, version: int, to: str, frm: str, at: datetime) -> AssetStatusChanged:
    return AssetStatusChanged(
        asset_id=asset.asset_id,
        tag=asset.tag,
        unit_id=asset.unit_id,
        asset_class=asset.asset_class,
        from_status=frm,
        to_status=to,
        changed_at=at,
        aggregate_version=version,
    )


async def test_a_fault_counts_in_its_class_and_zone_with_time_out_of_service(reporting: Reporting) -> None:
    unit = uuid.uuid4()
    code = unit.hex[:4]
    server = _asset(unit, f"SV-{code}", "server", "公安信息网")
    switch = _asset(unit, f"SW-{code}", "switch", "安全接入区")
    idle = _asset(unit, f"ZZ-{code}", "card_printer", "公安信息网")
    faults = [
        _fault(server, MONDAY + timedelta(hours=9)),
        _fault(server, MONDAY + timedelta(days=2, hours=9)),
        _fault(switch, MONDAY + timedelta(days=1, hours=3)),
    ]
    not_counted = [
        _fault(switch, MONDAY + timedelta(hours=5), category="consultation"),  # not a fault
        _fault(switch, MONDAY - timedelta(hours=1)),  # the Sunday before
    ]
    # The server faulty 2 h, then under repair 3 h, then back in service: 5 h out of service. The status
    # changes arrive newest first.
    changes = [
        _status(server, 2, "faulty", "in_service", MONDAY + timedelta(hours=9)),
        _status(server, 3, "under_repair", "faulty", MONDAY + timedelta(hours=11)),
        _status(server, 4, "in_service", "under_repair", MONDAY + timedelta(hours=14)),
    ]
    events = [*faults, *not_counted, *reversed(changes), server, switch, idle]  # tickets before their assets
    await publish(reporting.env.amqp_url, *events)
    await publish(reporting.env.amqp_url, *events)

    async def settled() -> dict[str, Any] | None:
        body = (await reporting.get("/api/reports/equipment", unit_id=str(unit), **PERIOD)).json()
        classes = {c["asset_class"]: c for c in body.get("by_class", [])}
        ready = body.get("faults") == 3 and classes.get("server", {}).get("out_of_service_s") == 5 * 3600
        return body if ready and classes.get("card_printer") else None

    body = await eventually(settled, timeout=30)
    classes = {c["asset_class"]: c for c in body["by_class"]}
    assert (classes["server"]["faults"], classes["server"]["assets_with_faults"], classes["server"]["assets"]) == (
        2,
        1,
        1,
    )
    assert (classes["switch"]["faults"], classes["switch"]["out_of_service_s"]) == (1, 0)
    assert (classes["card_printer"]["faults"], classes["card_printer"]["assets"]) == (0, 1)
    zones = {z["security_zone"]: z for z in body["by_zone"]}
    assert (zones["公安信息网"]["faults"], zones["公安信息网"]["assets"]) == (2, 2)
    assert (zones["安全接入区"]["faults"], zones["安全接入区"]["assets_with_faults"]) == (1, 1)
    first, second = body["top_assets"]
    assert (first["tag"], first["faults"], first["asset_class"], first["security_zone"]) == (
        server.tag,
        2,
        "server",
        "公安信息网",
    )
    assert (first["unit_id"], first["place"], first["name"]) == (str(unit), "市局数据中心 三楼主机房", server.name)
    assert (second["tag"], second["faults"]) == (switch.tag, 1)
    only_one = (await reporting.get("/api/reports/equipment", unit_id=str(unit), top=1, **PERIOD)).json()
    assert [a["tag"] for a in only_one["top_assets"]] == [server.tag]

    for fmt, kind in (("csv", "text/csv"), ("xlsx", "spreadsheet"), ("pdf", "application/pdf")):
        answer = await reporting.get("/api/reports/equipment", unit_id=str(unit), format=fmt, **PERIOD)
        assert answer.status_code == 200 and kind in answer.headers["content-type"], (fmt, answer.text[:200])
    csv = (await reporting.get("/api/reports/equipment", unit_id=str(unit), format="csv", **PERIOD)).text
    assert "故障最多的设备 Assets that fail most" in csv and server.tag in csv and "5 h 00 min" in csv
    book = load_workbook(
        io.BytesIO((await reporting.get("/api/reports/equipment", unit_id=str(unit), format="xlsx", **PERIOD)).content)
    )
    assert any(server.tag in str(c.value) for s in book.worksheets for row in s.iter_rows() for c in row)

    assert (await reporting.get("/api/reports/equipment", role="requester", **PERIOD)).status_code == 403
    assert (await reporting.get("/api/reports/equipment", role="project_manager", **PERIOD)).status_code == 200
    bad = await reporting.get("/api/reports/equipment", top=0, **PERIOD)
    assert bad.status_code == 422 and "top" in bad.text
    backwards = await reporting.get("/api/reports/equipment", **{"from": "2021-06-13", "to": "2021-06-07"})
    assert backwards.status_code == 422 and backwards.json()["field"] == "from"


MR_DAY = date(2033, 6, 14)  # a day no other test touches
MR_MORNING = datetime(2033, 6, 14, 2, 0, tzinfo=UTC)  # 10:00 Asia/Shanghai


def _reading(tag: str, asset_class: str, key: str, label: str, value: Any, **fields: Any) -> RoundReading:
    return RoundReading.model_validate(
        {
            "asset_id": uuid.uuid4(),
            "tag": tag,
            "asset_class": asset_class,
            "site": "市局数据中心",
            "room": "三楼主机房",
            "item_key": key,
            "item_label": label,
            "kind": "reading",
            "value": value,
            "abnormal": False,
            "checked_at": MR_MORNING,
            "checked_by_name": "张工",
            **fields,
        }
    )


async def test_the_machine_room_report_marks_an_abnormal_temperature(reporting: Reporting) -> None:
    walked, missed, station = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    hot = _reading("KT-MR-001", "air_conditioner", "room_temperature", "机房温度", 31.5,
                   measure_unit="°C", normal_low=18, normal_high=27, abnormal=True)  # fmt: skip
    humid = _reading("KT-MR-001", "air_conditioner", "humidity", "机房湿度", 45,
                     measure_unit="%", normal_low=40, normal_high=60)  # fmt: skip
    load = _reading("UPS-MR-001", "ups", "ups_load", "UPS负载", 38, measure_unit="%", normal_high=80)
    lamp = _reading("UPS-MR-001", "ups", "alarm", "告警灯正常", True, kind="check")
    completed = InspectionRoundCompleted(
        round_id=walked, plan_id=uuid.uuid4(), plan_name="机房早巡检", day=MR_DAY, due_at=MR_MORNING,
        completed_at=MR_MORNING, completed_by=uuid.uuid4(), completed_by_name="张工", stops=2, items_checked=4,
        abnormal_items=1, asset_classes=["air_conditioner", "ups"], readings=[hot, humid, load, lamp],
    )  # fmt: skip
    missed_round = InspectionRoundMissed(
        round_id=missed, plan_id=uuid.uuid4(), plan_name="机房晚巡检", day=MR_DAY,
        due_at=MR_MORNING + timedelta(hours=10), post_name="机房值班岗", stops=2, stops_checked=0,
        recorded_at=MR_MORNING + timedelta(hours=10), asset_classes=["air_conditioner", "ups"],
    )  # fmt: skip
    not_machine_room = InspectionRoundCompleted(
        round_id=station, plan_id=uuid.uuid4(), plan_name="望京派出所日巡检", day=MR_DAY, due_at=MR_MORNING,
        completed_at=MR_MORNING, completed_by=uuid.uuid4(), completed_by_name="李工", stops=1, items_checked=1,
        abnormal_items=0, asset_classes=["card_printer"],
        readings=[_reading("ZZ-WJ-001", "card_printer", "print_test", "打印测试", True, kind="check")],
    )  # fmt: skip
    raised = finding(walked, tag=hot.tag, raised_at=MR_MORNING)
    ticketed = FindingTicketed(
        finding_id=raised.finding_id, ticket_id=uuid.uuid4(), ticket_number="20330614-0001", opened=True, at=MR_MORNING
    )
    events = [ticketed, raised, completed, missed_round, not_machine_room]
    await publish(reporting.env.amqp_url, *events)
    await publish(reporting.env.amqp_url, *reversed(events))

    async def settled() -> dict[str, Any] | None:
        body = (await reporting.get("/api/reports/machine-room", day=MR_DAY.isoformat())).json()
        ready = body.get("rounds_due") == 2 and body.get("readings_taken") == 4 and body.get("findings") == 1
        return body if ready and body["finding_lines"][0]["ticket_number"] else None

    body = await eventually(settled, timeout=30)
    assert (body["rounds_done"], body["rounds_missed"], body["completion_pct"]) == (1, 1, 50.0)
    assert body["abnormal_readings"] == 1
    readings = {r["item_label"]: r for r in body["readings"]}
    assert (readings["机房温度"]["value"], readings["机房温度"]["normal"], readings["机房温度"]["abnormal"]) == (
        "31.5",
        "18–27 °C",
        True,
    )
    assert (readings["UPS负载"]["normal"], readings["UPS负载"]["abnormal"]) == ("≤ 80 %", False)
    assert readings["告警灯正常"]["value"] == "是 yes" and readings["机房湿度"]["checked_by_name"] == "张工"
    rounds = {r["plan_name"]: r for r in body["rounds"]}
    assert set(rounds) == {"机房早巡检", "机房晚巡检"}  # the station's round is not a machine-room round
    assert rounds["机房晚巡检"]["status"] == "missed" and rounds["机房早巡检"]["completed_by_name"] == "张工"
    assert body["finding_lines"][0]["ticket_number"] == "20330614-0001"

    period = (await reporting.get("/api/reports/machine-room", **{"from": "2033-06-13", "to": "2033-06-15"})).json()
    assert period["rounds_due"] == 2 and period["readings_taken"] == 4
    csv = (await reporting.get("/api/reports/machine-room", day=MR_DAY.isoformat(), format="csv")).text
    assert "31.5 °C" in csv and "异常 abnormal" in csv and "18–27 °C" in csv and "漏检 missed" in csv
    pdf = await reporting.get("/api/reports/machine-room", day=MR_DAY.isoformat(), format="pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = await reporting.get("/api/reports/machine-room", day=MR_DAY.isoformat(), format="xlsx")
    assert xlsx.status_code == 200 and "spreadsheet" in xlsx.headers["content-type"]

    both = await reporting.get("/api/reports/machine-room", day=MR_DAY.isoformat(), **{"from": "2033-06-13"})
    assert both.status_code == 422 and both.json()["field"] == "day"
    assert (await reporting.get("/api/reports/machine-room", role="requester")).status_code == 403
    assert (await reporting.get("/api/reports/machine-room", role="project_manager")).status_code == 200
