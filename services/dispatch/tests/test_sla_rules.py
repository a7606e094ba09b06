"""The clock rules of SPEC §5 through dispatch's events and API: pauses, calendars (a workday clock over
the National Day holiday and a 调休 Saturday), policies, cancellation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from opsdesk_shared.testing.workers import eventually

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Clocks, Desk

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


async def _when(desk: Desk, ticket_id: UUID, predicate: Callable[[Clocks], bool]) -> Clocks:
    async def probe() -> Clocks | None:
        clocks = await desk.clocks(ticket_id)
        return clocks if clocks and predicate(clocks) else None

    found: Clocks = await eventually(probe)
    return found


async def test_a_pending_ticket_pauses_its_clocks_and_the_pause_moves_the_due_instant(desk: Desk) -> None:
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    ticket = await desk.ticket(created_at=created)
    await desk.status(ticket, "new", "pending", created + timedelta(minutes=10), reason="等待派出所提供设备编号")
    paused = await _when(desk, ticket.ticket_id, lambda c: c["resolution"]["state"] == "paused")
    assert paused["resolution"]["pauses"][0]["reason"] == "等待派出所提供设备编号"
    assert paused["resolution"]["elapsed_seconds"] == 600  # frozen while paused
    await desk.status(ticket, "pending", "assigned", created + timedelta(minutes=40))
    resumed = await _when(desk, ticket.ticket_id, lambda c: c["resolution"]["state"] == "running")
    resolution = resumed["resolution"]
    assert resolution["paused_seconds"] == 1800
    assert resolution["pauses"][0]["seconds"] == 1800 and resolution["pauses"][0]["ended_at"]
    assert datetime.fromisoformat(resolution["due_at"]) == created + timedelta(seconds=14400 + 1800)
    assert datetime.fromisoformat(resolution["warn_at"]) == created + timedelta(seconds=10800 + 1800)
    assert 3600 - 1800 <= resolution["elapsed_seconds"] <= 3600 - 1800 + 30
    assert resolution["remaining_seconds"] == 14400 - resolution["elapsed_seconds"]


async def test_a_resume_that_overtakes_its_pend_leaves_the_clocks_running_and_the_pend_recorded_stale(
    desk: Desk,
) -> None:
    """Two relays (or a retry) can deliver a ticket's resume before its pend: the ticket's version orders
    them, so the late pend must not pause clocks of a ticket being worked on (and let the SLA read met)."""
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    ticket = await desk.ticket(created_at=created, version=1)
    await desk.status(ticket, "pending", "assigned", created + timedelta(minutes=40), version=3)
    await desk.status(ticket, "new", "pending", created + timedelta(minutes=10), reason="等待设备编号", version=2)
    stale = await eventually(lambda: desk.env.stale_events("dispatch", ticket.ticket_id))
    assert stale == [("ticket.status_changed", 2, 3)]
    clocks = await desk.clocks(ticket.ticket_id)
    assert {c["state"] for c in clocks.values()} == {"running"}
    assert all(not c["pauses"] for c in clocks.values())


async def test_a_cancelled_ticket_cancels_every_clock(desk: Desk) -> None:
    ticket = await desk.ticket()
    await desk.status(ticket, "new", "cancelled", datetime.now(UTC), reason="报修人撤回")
    clocks = await _when(desk, ticket.ticket_id, lambda c: all(x["state"] == "cancelled" for x in c.values()))
    assert len(clocks) == 3


async def test_a_remote_resolution_at_the_hotline_cancels_arrival(desk: Desk) -> None:
    ticket = await desk.ticket()
    await desk.status(ticket, "new", "resolved", datetime.now(UTC), reason="电话指导解决")
    clocks = await _when(desk, ticket.ticket_id, lambda c: c["arrival"]["state"] == "cancelled")
    assert clocks["resolution"]["state"] == "met" and clocks["response"]["state"] == "met"


async def test_a_workdays_policy_places_the_due_instant_in_working_hours(desk: Desk) -> None:
    admin = desk.admin_headers
    resp = await desk.client.post(
        "/api/sla/policies",
        headers=admin,
        json={
            "name": "投诉处理 (工作日)",
            "category": "complaint",
            "priority": "P4",
            "resolution_target_s": 7200,
            "calendar": "workdays",
            "warn_ratio": 0.5,
        },
    )
    assert resp.status_code == 201, resp.text
    ticket = await desk.ticket(category="complaint", priority="P4", created_at=at("2026-10-09T17:30"))
    clock = (await desk.clocks(ticket.ticket_id))["resolution"]
    assert clock["calendar"] == "workdays" and "response" not in await desk.clocks(ticket.ticket_id)
    assert datetime.fromisoformat(clock["due_at"]) == at("2026-10-10T10:30")
    assert datetime.fromisoformat(clock["warn_at"]) == at("2026-10-10T09:30")
    duplicate = await desk.client.post(
        "/api/sla/policies",
        headers=admin,
        json={"name": "又一个", "category": "complaint", "priority": "P4", "resolution_target_s": 3600},
    )
    assert duplicate.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "resolution_target_s": 3600, "warn_ratio": 1.5}, "warn_ratio"),
        ({"name": "x", "resolution_target_s": 3600, "calendar": "lunar"}, "calendar"),
        ({"name": "x", "resolution_target_s": 3600, "category": "weather"}, "category"),
        ({"name": "x", "resolution_target_s": 10}, "resolution_target_s"),
        ({"name": "x", "resolution_target_s": 3600, "owner": "me"}, "owner"),
    ],
)
async def test_a_bad_policy_is_refused_naming_the_field(desk: Desk, body: dict[str, Any], field: str) -> None:
    resp = await desk.client.post("/api/sla/policies", headers=desk.admin_headers, json=body)
    assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["errors"][0]["field"] == field


async def test_only_admins_write_policies_and_calendar_overrides(desk: Desk) -> None:
    dispatcher = {"Authorization": f"Bearer {desk.env.token('dispatcher')}"}
    body = {"name": "x", "category": "consultation", "priority": "P1", "resolution_target_s": 3600}
    assert (await desk.client.post("/api/sla/policies", headers=dispatcher, json=body)).status_code == 403
    assert (
        await desk.client.put("/api/sla/calendar-overrides/2027-02-08", headers=dispatcher, json={"is_workday": False})
    ).status_code == 403
    fallback = await desk.client.get("/api/sla/calendar/2027-02-08", headers=dispatcher)
    assert fallback.json() == {"day": "2027-02-08", "is_workday": True, "source": "weekday_fallback"}
    put = await desk.client.put(
        "/api/sla/calendar-overrides/2027-02-08",
        headers=desk.admin_headers,
        json={"is_workday": False, "note": "2027 春节 (国务院通知)"},
    )
    assert put.status_code == 200
    overridden = await desk.client.get("/api/sla/calendar/2027-02-08", headers=dispatcher)
    assert overridden.json()["source"] == "override" and overridden.json()["is_workday"] is False


async def test_a_requester_sees_only_clocks_of_their_units_subtree(desk: Desk) -> None:
    district = await desk.unit(kind="sub_bureau")
    station = await desk.unit(district)
    elsewhere = await desk.unit(kind="sub_bureau")
    ticket = await desk.ticket(unit_id=station[-1])
    # The district's requester sees the station's ticket (once the unit events have arrived).
    await eventually(lambda: _ok(desk, ticket.ticket_id, district[-1]))
    outsider = {"Authorization": f"Bearer {desk.env.token('requester', unit_id=elsewhere[-1])}"}
    assert (await desk.client.get(f"/api/sla/tickets/{ticket.ticket_id}", headers=outsider)).status_code == 404


async def _ok(desk: Desk, ticket_id: UUID, unit_id: UUID) -> bool:
    headers = {"Authorization": f"Bearer {desk.env.token('requester', unit_id=unit_id)}"}
    return (await desk.client.get(f"/api/sla/tickets/{ticket_id}", headers=headers)).status_code == 200


async def test_a_reopened_ticket_runs_its_resolution_clock_again_without_counting_the_resolved_time(desk: Desk) -> None:
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    ticket = await desk.ticket(created_at=created)
    await desk.status(ticket, "new", "resolved", created + timedelta(minutes=30), reason="远程解决")
    await _when(desk, ticket.ticket_id, lambda c: c["resolution"]["state"] == "met")
    await desk.status(ticket, "resolved", "reopened", created + timedelta(minutes=90), reason="问题复现")
    clocks = await _when(desk, ticket.ticket_id, lambda c: c["resolution"]["state"] == "running")
    resolution = clocks["resolution"]
    assert resolution["paused_seconds"] == 3600 and resolution["pauses"][-1]["reason"] == "resolved, then reopened"
    assert datetime.fromisoformat(resolution["due_at"]) == created + timedelta(seconds=14400 + 3600)
    assert clocks["arrival"]["state"] == "cancelled"  # the remote resolution's cancellation stands


async def test_an_edited_policy_times_new_tickets_a_retired_one_none_and_running_clocks_keep_their_targets(
    desk: Desk,
) -> None:
    admin = desk.admin_headers
    made = await desk.client.post(
        "/api/sla/policies",
        headers=admin,
        json={"name": "咨询 P1", "category": "consultation", "priority": "P1", "resolution_target_s": 3600},
    )
    assert made.status_code == 201, made.text
    policy = made.json()
    before = await desk.ticket(category="consultation", priority="P1")
    assert (await desk.clocks(before.ticket_id))["resolution"]["target_s"] == 3600

    edited = await desk.client.patch(
        f"/api/sla/policies/{policy['id']}",
        headers=admin,
        json={"name": "咨询 P1 (放宽)", "response_target_s": 600, "resolution_target_s": 7200},
    )
    assert edited.status_code == 200 and edited.json()["response_target_s"] == 600, edited.text
    after_edit = await desk.ticket(category="consultation", priority="P1")
    clocks = await desk.clocks(after_edit.ticket_id)
    assert clocks["resolution"]["target_s"] == 7200 and clocks["response"]["target_s"] == 600
    assert (await desk.clocks(before.ticket_id))["resolution"]["target_s"] == 3600  # started before: unchanged
    assert "response" not in await desk.clocks(before.ticket_id)

    retired = await desk.client.delete(f"/api/sla/policies/{policy['id']}", headers=admin)
    assert retired.status_code == 204
    listed = {p["id"]: p for p in (await desk.client.get("/api/sla/policies", headers=admin)).json()}
    assert listed[policy["id"]]["is_active"] is False  # kept on record: clocks and reports name it
    after_retire = await desk.ticket(category="consultation", priority="P1")
    fallback = (await desk.clocks(after_retire.ticket_id))["resolution"]["target_s"]
    assert fallback not in (3600, 7200)  # the catch-all policy timed it, not the retired one
    assert (await desk.clocks(after_edit.ticket_id))["resolution"]["target_s"] == 7200
    bad = await desk.client.patch(f"/api/sla/policies/{policy['id']}", headers=admin, json={"warn_ratio": 2})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "warn_ratio"
