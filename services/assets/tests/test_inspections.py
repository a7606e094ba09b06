"""Inspections (巡检) through HTTP on real PostgreSQL and RabbitMQ: a daily plan's round made by the worker,
walked asset by asset with one abnormal reading (a finding announced), completed once; a round whose deadline
passed while no worker ran recorded as missed when one returns; bad readings and bad plans refused by name."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from assets.config import AssetsSettings
from assets.inspections.clock import InspectionClock
from assets.inspections.rules import SHANGHAI
from opsdesk_shared.contracts.intake import FindingTicketed
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.testing.workers import EventTap, eventually, publish, running_worker

from .conftest import Ledger

AIRCON_ITEMS: list[dict[str, Any]] = [
    {"key": "room_temperature", "label": "机房温度", "kind": "reading", "unit": "°C", "low": 18, "high": 27},
    {"key": "humidity", "label": "机房湿度", "kind": "reading", "unit": "%", "low": 40, "high": 70},
    {"key": "alarm_lamps_off", "label": "告警灯未亮", "kind": "check"},
]
UPS_ITEMS: list[dict[str, Any]] = [
    {"key": "load", "label": "UPS负载", "kind": "reading", "unit": "%", "high": 80},
    {"key": "backup_job_ok", "label": "备份作业成功", "kind": "check"},
]


def today() -> date:
    return datetime.now(SHANGHAI).date()


@asynccontextmanager
async def inspection_worker(ledger: Ledger) -> AsyncIterator[InspectionClock]:
    """The worker's inspection clock running, as after a (re)start: it catches up at once."""
    settings = ledger.env.settings(AssetsSettings)
    engine = create_engine(settings)
    clock = InspectionClock(session_factory(engine), tick_s=0.5)
    try:
        async with running_worker(settings, session_factory(engine), [], tasks=[clock]):
            yield clock
    finally:
        await engine.dispose()


async def template(ledger: Ledger, asset_class: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    body = {"name": f"{asset_class}日常巡检", "asset_class": asset_class, "items": items}
    resp = await ledger.client.post("/api/inspections/templates", json=body, headers=ledger.as_("dispatcher"))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def plan(ledger: Ledger, **fields: Any) -> dict[str, Any]:
    body = {"name": f"机房巡检-{uuid.uuid4().hex[:4]}", "frequency": "daily", "post_name": "机房值班", **fields}
    resp = await ledger.client.post("/api/inspections/plans", json=body, headers=ledger.as_("dispatcher"))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def rounds_of(ledger: Ledger, plan_id: str, day: date | None = None) -> list[dict[str, Any]]:
    params = {"plan_id": plan_id, **({"day": day.isoformat()} if day else {})}
    resp = await ledger.client.get("/api/inspections/rounds", params=params, headers=ledger.as_("supervisor"))
    assert resp.status_code == 200, resp.text
    return list(resp.json())


async def test_a_daily_round_is_made_walked_with_an_abnormal_reading_and_completed_once(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    room = f"一号机房-{uuid.uuid4().hex[:4]}"
    aircon = await ledger.register(unit, asset_class="air_conditioner", name="精密空调", site="市局机房", room=room)
    ups = await ledger.register(unit, asset_class="ups", name="UPS主机", site="市局机房", room="配电间")
    await template(ledger, "air_conditioner", AIRCON_ITEMS)
    await template(ledger, "ups", UPS_ITEMS)
    daily = await plan(ledger, rooms=[{"site": "市局机房", "room": room}], asset_ids=[ups["id"]])
    assert await rounds_of(ledger, daily["id"]) == []  # the worker makes rounds, not the API

    async with inspection_worker(ledger) as clock:
        await eventually(lambda: rounds_of(ledger, daily["id"]))
        assert await clock.tick() == (0, 0)  # made already: a second pass makes nothing
    [round_] = await rounds_of(ledger, daily["id"])
    assert round_["status"] == "open" and round_["day"] == today().isoformat()
    assert (round_["stops_total"], round_["stops_checked"]) == (2, 0)
    # Due by the end of the day, Asia/Shanghai.
    due = datetime.fromisoformat(round_["due_at"]).astimezone(SHANGHAI)
    assert (due.date(), due.hour, due.minute) == (today() + timedelta(days=1), 0, 0)

    url = f"/api/inspections/rounds/{round_['id']}"
    engineer = ledger.as_("engineer", name="engineer-wang")
    detail = (await ledger.client.get(url, headers=engineer)).json()
    stops = {s["tag"]: s for s in detail["stops"]}
    assert [i["key"] for i in stops[aircon["tag"]]["items"]] == [i["key"] for i in AIRCON_ITEMS]
    aircon_stop = f"{url}/stops/{stops[aircon['tag']]['id']}"
    ups_stop = f"{url}/stops/{stops[ups['tag']]['id']}"

    # Readings of the wrong type, missing or unknown items: refused, naming the item; nothing recorded.
    for results, field in (
        ({"room_temperature": "hot", "humidity": 50, "alarm_lamps_off": True}, "results.room_temperature"),
        ({"room_temperature": 22, "humidity": 50, "alarm_lamps_off": "yes"}, "results.alarm_lamps_off"),
        ({"room_temperature": 22, "humidity": True, "alarm_lamps_off": True}, "results.humidity"),
        ({"room_temperature": 22, "alarm_lamps_off": True}, "results.humidity"),
        ({"room_temperature": 22, "humidity": 50, "alarm_lamps_off": True, "smell": 1}, "results.smell"),
    ):
        bad = await ledger.client.put(aircon_stop, json={"results": results}, headers=engineer)
        assert bad.status_code == 422, results
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert bad.json()["field"] == field, bad.json()
    # Only engineers walk rounds.
    ok_ups = {"results": {"load": 35, "backup_job_ok": True}}
    for role in ("dispatcher", "supervisor", "admin", "requester"):
        assert (await ledger.client.put(ups_stop, json=ok_ups, headers=ledger.as_(role))).status_code == 403, role
    not_yet = await ledger.client.post(f"{url}/complete", headers=engineer)
    assert not_yet.status_code == 422 and not_yet.json()["field"] == "stops"

    async with EventTap(ledger.env.amqp_url, "inspection.*") as tap:
        hot = {"results": {"room_temperature": 29.5, "humidity": 50, "alarm_lamps_off": True}, "note": "空调滤网脏"}
        checked = await ledger.client.put(aircon_stop, json=hot, headers=engineer)
        assert checked.status_code == 200, checked.text
        assert checked.json()["results"]["room_temperature"] == {"value": 29.5, "abnormal": True}
        assert checked.json()["results"]["humidity"]["abnormal"] is False
        # Checked again before completing: the finding is not raised twice.
        assert (await ledger.client.put(aircon_stop, json=hot, headers=engineer)).status_code == 200
        assert (await ledger.client.put(ups_stop, json=ok_ups, headers=engineer)).status_code == 200
        done = await ledger.client.post(f"{url}/complete", headers=engineer)
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "completed" and done.json()["completed_by_name"] == "engineer-wang"
        await eventually(lambda: tap.of("inspection.round_completed", round_id=round_["id"]))
    [finding] = tap.of("inspection.finding_raised", round_id=round_["id"])
    data = finding.data
    assert (data["asset_id"], data["tag"], data["unit_id"]) == (aircon["id"], aircon["tag"], str(unit))
    assert (data["item_key"], data["reading"], data["measure_unit"]) == ("room_temperature", 29.5, "°C")
    assert (data["normal_low"], data["normal_high"], data["note"]) == (18, 27, "空调滤网脏")
    assert data["inspector_name"] == "engineer-wang" and finding.producer == "assets"
    [completed] = tap.of("inspection.round_completed", round_id=round_["id"])
    assert (completed.data["stops"], completed.data["items_checked"], completed.data["abnormal_items"]) == (2, 5, 1)
    # Every item's result goes with it (the machine-room inspection report prints each reading and its range).
    assert completed.data["asset_classes"] == ["air_conditioner", "ups"]
    readings = {(r["tag"], r["item_key"]): r for r in completed.data["readings"]}
    assert len(readings) == 5
    temperature = readings[(aircon["tag"], "room_temperature")]
    assert (temperature["value"], temperature["abnormal"], temperature["measure_unit"]) == (29.5, True, "°C")
    assert (temperature["normal_low"], temperature["normal_high"], temperature["room"]) == (18, 27, room)
    assert temperature["checked_by_name"] == "engineer-wang" and temperature["checked_at"]
    assert readings[(ups["tag"], "backup_job_ok")]["value"] is True

    # Completed twice: a conflict, as problem+json naming the round.
    again = await ledger.client.post(f"{url}/complete", headers=engineer)
    assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["field"] == "round_id"
    assert (await ledger.client.put(ups_stop, json=ok_ups, headers=engineer)).status_code == 409
    findings = await ledger.client.get(
        "/api/inspections/findings", params={"round_id": round_["id"]}, headers=ledger.as_("supervisor")
    )
    assert [(f["item_key"], f["reading"]) for f in findings.json()] == [("room_temperature", 29.5)]

    # Intake answers with the ticket the finding became (twice: a redelivery); the finding shows it.
    ticket_id = uuid.uuid4()
    ticketed = FindingTicketed(
        finding_id=data["finding_id"],
        ticket_id=ticket_id,
        ticket_number="20261207-0042",
        opened=True,
        at=datetime.now(UTC),
    )
    await publish(ledger.env.amqp_url, ticketed, ticketed)

    async def ticket_shown() -> list[Any]:
        resp = await ledger.client.get(
            "/api/inspections/findings", params={"round_id": round_["id"]}, headers=ledger.as_("supervisor")
        )
        return [f for f in resp.json() if f["ticket_number"] == "20261207-0042"]

    [shown] = await eventually(ticket_shown)
    assert (shown["ticket_id"], shown["ticket_opened"]) == (str(ticket_id), True)


async def test_a_round_whose_deadline_passed_while_no_worker_ran_is_recorded_missed(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    ups = await ledger.register(unit, asset_class="ups", site="二号站", room=f"机房-{uuid.uuid4().hex[:4]}")
    yesterday = today() - timedelta(days=1)
    # Started yesterday, no worker running since: yesterday's round was due at midnight and nobody made it.
    daily = await plan(ledger, asset_ids=[ups["id"]], starts_on=yesterday.isoformat())
    async with EventTap(ledger.env.amqp_url, "inspection.round_missed") as tap:
        async with inspection_worker(ledger):
            await eventually(lambda: tap.of("inspection.round_missed", plan_id=daily["id"]))
    [missed] = await rounds_of(ledger, daily["id"], yesterday)
    assert missed["status"] == "missed" and missed["missed_at"]
    [event] = tap.of("inspection.round_missed", plan_id=daily["id"])
    assert (event.data["round_id"], event.data["day"]) == (missed["id"], yesterday.isoformat())
    assert (event.data["stops"], event.data["stops_checked"], event.data["post_name"]) == (1, 0, "机房值班")
    assert event.data["asset_classes"] == ["ups"]
    [current] = await rounds_of(ledger, daily["id"])  # today's: open, due tonight
    assert current["status"] == "open"
    late = await ledger.client.post(f"/api/inspections/rounds/{missed['id']}/complete", headers=ledger.as_("engineer"))
    assert late.status_code == 409 and late.json()["field"] == "round_id"
    listed = await ledger.client.get(
        "/api/inspections/rounds",
        params={"day": yesterday.isoformat(), "status": "missed"},
        headers=ledger.as_("dispatcher"),
    )
    assert missed["id"] in [r["id"] for r in listed.json()]


async def test_bad_templates_and_plans_are_refused_by_field_and_access_follows_the_roles(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    asset = await ledger.register(unit, asset_class="server")
    dispatcher = ledger.as_("dispatcher")
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("templates", {"name": "x", "asset_class": "toaster", "items": UPS_ITEMS}, "asset_class"),
        ("templates", {"name": "x", "asset_class": "ups", "items": []}, "items"),
        ("templates", {"name": "x", "asset_class": "ups", "items": [{**UPS_ITEMS[0], "low": 90}]}, "items.0"),
        ("templates", {"name": "x", "asset_class": "ups", "items": [{**UPS_ITEMS[1], "unit": "%"}]}, "items.0"),
        ("plans", {"name": "p", "frequency": "weekly", "asset_ids": [asset["id"]]}, ""),
        ("plans", {"name": "p", "frequency": "hourly", "asset_ids": [asset["id"]]}, "frequency"),
        ("plans", {"name": "p", "frequency": "daily", "asset_ids": [str(uuid.uuid4())]}, "asset_ids"),
        ("plans", {"name": "p", "frequency": "daily", "asset_ids": [asset["id"]], "due_time": "25:00"}, "due_time"),
        ("plans", {"name": "p", "frequency": "monthly", "month_day": 32, "asset_ids": [asset["id"]]}, "month_day"),
        ("plans", {"name": "p", "frequency": "daily", "asset_ids": [asset["id"]], "starts_on": "2020-01-01"},
         "starts_on"),
    ]  # fmt: skip
    for path, body, field in cases:
        resp = await ledger.client.post(f"/api/inspections/{path}", json=body, headers=dispatcher)
        assert resp.status_code == 422, (body, resp.text)
        problem = resp.json()
        fields = [problem.get("field")] + [e["field"] for e in problem.get("errors", [])]
        assert any((f or "").startswith(field) for f in fields), (body, problem)

    created = await plan(ledger, asset_ids=[asset["id"]], frequency="weekly", weekday=1, due_time="10:00")
    assert (created["due_time"], created["weekday"]) == ("10:00:00", 1)
    changed = await ledger.client.patch(
        f"/api/inspections/plans/{created['id']}", json={"frequency": "monthly"}, headers=dispatcher
    )
    assert changed.status_code == 422  # a monthly plan names its day
    changed = await ledger.client.patch(
        f"/api/inspections/plans/{created['id']}", json={"frequency": "monthly", "month_day": 1}, headers=ledger.admin
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2

    for role in ("engineer", "supervisor", "requester", "hotline_operator"):
        headers = ledger.as_(role, unit_id=unit)
        body = {"name": "p", "frequency": "daily", "asset_ids": [asset["id"]]}
        assert (await ledger.client.post("/api/inspections/plans", json=body, headers=headers)).status_code == 403
    for role in ("engineer", "supervisor", "dispatcher", "admin"):
        assert (await ledger.client.get("/api/inspections/plans", headers=ledger.as_(role))).status_code == 200
    for role in ("requester", "hotline_operator", "auditor"):
        headers = ledger.as_(role, unit_id=unit)
        for path in ("plans", "templates", "rounds", "findings"):
            assert (await ledger.client.get(f"/api/inspections/{path}", headers=headers)).status_code == 403, role
