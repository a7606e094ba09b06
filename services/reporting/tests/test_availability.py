"""Devices' online rate (设备在线率) from the monitoring receiver's availability alerts: outages clipped to the
period, per device, class and unit, over every device of the ledger; whatever order or how many times the
events arrive; in the weekly report and in every format."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from opsdesk_shared.contracts.assets import AssetRegistered
from opsdesk_shared.contracts.gateway import UnitCreated
from opsdesk_shared.contracts.monitoring import AlertFiring, AlertResolved
from opsdesk_shared.testing.workers import eventually, publish

from .support.harness import Reporting

WEEK = {"from": "2020-03-02", "to": "2020-03-08"}  # Monday to Sunday, Asia/Shanghai; long past, so measured whole
MONDAY = datetime(2020, 3, 1, 16, 0, tzinfo=UTC)  # 2020-03-02 00:00 in Shanghai
WEEK_S = 7 * 86400


def _asset(unit: uuid.UUID, tag: str, asset_class: str) -> AssetRegistered:
    return AssetRegistered(
        asset_id=uuid.uuid4(),
        tag=tag,
        asset_class=asset_class,
        security_zone="公安信息网",
        owning_system="居住证信息系统",
        unit_id=unit,
        site="望京派出所",
        criticality="important",
        status="in_service",
        aggregate_version=1,
    )


def _outage(asset: AssetRegistered, start: datetime, minutes: int | None) -> list[AlertFiring | AlertResolved]:
    common: dict[str, Any] = dict(
        alert_id=uuid.uuid4(),
        source="alertmanager",
        fingerprint=uuid.uuid4().hex[:16],
        alertname="DeviceDown",
        starts_at=start,
        asset_id=asset.asset_id,
        asset_tag=asset.tag,
        asset_known=True,
        asset_class=asset.asset_class,
        unit_id=asset.unit_id,
        unit_known=True,
        availability=True,
    )
    fired = AlertFiring(**common, summary="设备离线", priority="P1", opens_ticket=True)
    if minutes is None:
        return [fired]
    return [fired, AlertResolved(**common, ends_at=start + timedelta(minutes=minutes))]


async def test_availability_per_device_class_and_unit_over_the_ledger(reporting: Reporting) -> None:
    unit = uuid.uuid4()
    switch_a, switch_b = _asset(unit, f"SW-{unit.hex[:4]}-A", "switch"), _asset(unit, f"SW-{unit.hex[:4]}-B", "switch")
    printer = _asset(unit, f"ZZ-{unit.hex[:4]}", "card_printer")
    first = _outage(switch_a, MONDAY + timedelta(hours=10), 30)
    second = _outage(switch_a, MONDAY + timedelta(days=1, hours=9), 60)
    # Down since the Saturday before: only its minutes inside the week count.
    before = _outage(printer, MONDAY - timedelta(minutes=45), 60)
    not_availability = [e.model_copy(update={"availability": False}) for e in _outage(switch_b, MONDAY, 600)]
    unit_created = UnitCreated(
        unit_id=unit, code=f"U-{unit.hex[:6]}", name="望京派出所", kind="police_station", parent_id=None, path=[unit]
    )
    # Recoveries before their firings, and everything twice.
    events = [
        unit_created,
        switch_a,
        switch_b,
        printer,
        *reversed(first),
        *second,
        *reversed(before),
        *not_availability,
    ]
    await publish(reporting.env.amqp_url, *events)
    await publish(reporting.env.amqp_url, *events)

    async def report() -> dict[str, Any] | None:
        body = (await reporting.get("/api/reports/availability", unit_id=str(unit), **WEEK)).json()
        done = body.get("outages") == 3 and {c["key"]: c["devices"] for c in body["by_class"]} == {
            "switch": 2,
            "card_printer": 1,
        }
        return body if done else None

    body = await eventually(report, timeout=30)
    assert body["measured_s"] == WEEK_S and body["down_s"] == (30 + 60 + 15) * 60
    devices = {d["asset_tag"]: d for d in body["devices"]}
    assert set(devices) == {switch_a.tag, printer.tag}  # switch B's alert was not an availability alert
    a = devices[switch_a.tag]
    assert (a["outages"], a["down_s"], a["longest_s"], a["unit_name"]) == (2, 5400, 3600, "望京派出所")
    assert a["availability_pct"] == round(100 * (1 - 5400 / WEEK_S), 3)
    classes = {c["key"]: c for c in body["by_class"]}
    assert (classes["switch"]["devices_down"], classes["switch"]["down_s"]) == (1, 5400)
    assert classes["switch"]["availability_pct"] == round(100 * (1 - 5400 / (2 * WEEK_S)), 3)
    assert classes["card_printer"]["down_s"] == 15 * 60 and classes["card_printer"]["name"] == "制证机 (card_printer)"
    [only_unit] = body["by_unit"]
    assert (only_unit["name"], only_unit["devices"], only_unit["outages"]) == ("望京派出所", 3, 3)

    for fmt, kind in (("csv", "text/csv"), ("xlsx", "spreadsheet"), ("pdf", "application/pdf")):
        answer = await reporting.get("/api/reports/availability", unit_id=str(unit), format=fmt, **WEEK)
        assert answer.status_code == 200 and kind in answer.headers["content-type"], (fmt, answer.text[:200])
    csv = (await reporting.get("/api/reports/availability", unit_id=str(unit), format="csv", **WEEK)).text
    assert "设备在线率（按类别）Availability by class" in csv and switch_a.tag in csv

    weekly = (await reporting.get("/api/reports/weekly", role="admin", week="2020-W10")).json()
    assert any(d["asset_tag"] == switch_a.tag for d in weekly["availability"]["devices"])


async def test_an_outage_still_open_counts_up_to_now(reporting: Reporting) -> None:
    unit = uuid.uuid4()
    server = _asset(unit, f"SV-{unit.hex[:6]}", "server")
    started = datetime.now(UTC) - timedelta(minutes=20)
    await publish(reporting.env.amqp_url, server, *_outage(server, started, None))
    today = (datetime.now(UTC) + timedelta(hours=8)).date().isoformat()

    async def down() -> dict[str, Any] | None:
        body = (
            await reporting.get("/api/reports/availability", unit_id=str(unit), **{"from": today, "to": today})
        ).json()
        return body if body.get("outages") == 1 else None

    body = await eventually(down, timeout=30)
    assert 19 * 60 <= body["devices"][0]["down_s"] <= 25 * 60
