"""Duty (posts, rosters, attendance), the dispatcher's queue and assignment suggestions, through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.testing.workers import EventTap, eventually

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Desk

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_a_5x8_roster_follows_the_statutory_calendar_and_a_7x24_post_runs_around_the_clock(desk: Desk) -> None:
    admin = desk.admin_headers
    a, b = await desk.person("engineer"), await desk.person("engineer")
    resident = await desk.client.post(
        "/api/dispatch/duty/posts",
        headers=admin,
        json={
            "code": f"RES-{uuid.uuid4().hex[:4]}",
            "name": "市局驻场 5×8",
            "pattern": "5x8",
            "starts": "09:00",
            "ends": "17:00",
        },
    )
    assert resident.status_code == 201, resident.text
    shifts = await desk.client.post(
        f"/api/dispatch/duty/posts/{resident.json()['id']}/roster",
        headers=admin,
        json={"user_ids": [str(a.user_id), str(b.user_id)], "from": "2026-09-28", "to": "2026-10-11"},
    )
    assert shifts.status_code == 201, shifts.text
    days = [datetime.fromisoformat(s["starts_at"]).astimezone(SHANGHAI) for s in shifts.json()]
    # National Day week: 1–7 Oct off, the 8th and 9th worked, and Saturday the 10th is a make-up day.
    assert [d.strftime("%m-%d %H:%M") for d in days] == [
        "09-28 09:00",
        "09-29 09:00",
        "09-30 09:00",
        "10-08 09:00",
        "10-09 09:00",
        "10-10 09:00",
    ]
    assert [s["user_id"] for s in shifts.json()[:2]] == [str(a.user_id), str(b.user_id)]
    # The same people again over those days: overlaps, so nothing at all is created.
    again = await desk.client.post(
        f"/api/dispatch/duty/posts/{resident.json()['id']}/roster",
        headers=admin,
        json={"user_ids": [str(b.user_id)], "from": "2026-10-09", "to": "2026-10-12"},
    )
    assert again.status_code == 409
    listed = await desk.client.get(
        "/api/dispatch/duty/shifts",
        headers=admin,
        params={"from": "2026-10-12T00:00:00+08:00", "to": "2026-10-13T00:00:00+08:00"},
    )
    assert [s for s in listed.json() if s["user_id"] == str(b.user_id)] == []

    hotline = await desk.client.post(
        "/api/dispatch/duty/posts",
        headers=admin,
        json={
            "code": f"HOT-{uuid.uuid4().hex[:4]}",
            "name": "7×24 热线",
            "pattern": "7x24",
            "starts": "08:00",
            "ends": "08:00",
        },
    )
    async with EventTap(desk.env.amqp_url, "duty.shift_scheduled") as tap:
        around = await desk.client.post(
            f"/api/dispatch/duty/posts/{hotline.json()['id']}/roster",
            headers=admin,
            json={"user_ids": [str(a.user_id), str(b.user_id)], "from": "2026-12-01", "to": "2026-12-03"},
        )
        assert around.status_code == 201
        shift_ids = {s["id"] for s in around.json()}
        # Each shift is announced, for the weekly report's attendance against the roster.

        def all_announced() -> list[Envelope] | None:
            got = [e for e in tap.of("duty.shift_scheduled") if e.data["shift_id"] in shift_ids]
            return got if len(got) == 3 else None

        announced = await eventually(all_announced)
    assert {e.data["post_name"] for e in announced} == {"7×24 热线"}
    assert [e.data["user_id"] for e in sorted(announced, key=lambda e: e.data["starts_at"])] == [
        str(a.user_id),
        str(b.user_id),
        str(a.user_id),
    ]
    spans = [datetime.fromisoformat(s["ends_at"]) - datetime.fromisoformat(s["starts_at"]) for s in around.json()]
    assert spans == [timedelta(hours=24)] * 3


async def test_a_7x24_post_must_start_and_end_at_the_same_time(desk: Desk) -> None:
    resp = await desk.client.post(
        "/api/dispatch/duty/posts",
        headers=desk.admin_headers,
        json={"code": "BAD", "name": "x", "pattern": "7x24", "starts": "08:00", "ends": "20:00"},
    )
    assert resp.status_code == 422 and resp.json()["field"] == "ends"


async def test_attendance_is_recorded_announced_and_a_double_clock_in_refused(desk: Desk) -> None:
    engineer = await desk.person("engineer")
    async with EventTap(desk.env.amqp_url, "attendance.*") as tap:
        assert (await desk.client.post("/api/dispatch/duty/clock-in", headers=engineer.headers)).status_code == 201
        assert (await desk.client.post("/api/dispatch/duty/clock-in", headers=engineer.headers)).status_code == 409
        await eventually(lambda: tap.of("attendance.clocked_in", user_id=engineer.user_id))
    assert len(tap.of("attendance.clocked_in", user_id=engineer.user_id)) == 1  # the refused one said nothing
    me = await desk.client.get(f"/api/engineers/{engineer.user_id}", headers=desk.admin_headers)
    assert me.json()["on_duty"] is True
    out = await desk.client.post("/api/dispatch/duty/clock-out", headers=engineer.headers)
    assert out.status_code == 200 and out.json()["clock_out_at"]
    assert (await desk.client.post("/api/dispatch/duty/clock-out", headers=engineer.headers)).status_code == 409
    async with EventTap(desk.env.amqp_url, "attendance.*") as tap:
        await desk.client.post("/api/dispatch/duty/clock-in", headers=engineer.headers)
        await desk.client.post("/api/dispatch/duty/clock-out", headers=engineer.headers)
        await eventually(lambda: tap.of("attendance.clocked_out", user_id=engineer.user_id))
    out_event = tap.of("attendance.clocked_out", user_id=engineer.user_id)[0].data
    assert out_event["clock_out_at"] and out_event["display_name"].startswith("engineer")
    records = await desk.client.get("/api/dispatch/duty/attendance", headers=desk.admin_headers)
    assert any(r["user_id"] == str(engineer.user_id) and r["clock_out_at"] for r in records.json())
    # Attendance is for overseers; an engineer does not read everybody's.
    assert (await desk.client.get("/api/dispatch/duty/attendance", headers=engineer.headers)).status_code == 403


async def test_each_person_reads_their_own_duty_card(desk: Desk) -> None:
    engineer, other = await desk.person("engineer"), await desk.person("engineer")
    card = await desk.client.get("/api/dispatch/duty/me", headers=engineer.headers)
    assert card.status_code == 200 and card.json() == {"on_duty": False, "clocked_in_at": None, "shift": None}
    post = await desk.client.post(
        "/api/dispatch/duty/posts",
        headers=desk.admin_headers,
        json={
            "code": f"ME-{uuid.uuid4().hex[:4]}",
            "name": "节假日值守",
            "pattern": "7x8",
            "starts": "09:00",
            "ends": "17:00",
        },
    )
    tomorrow = datetime.now(SHANGHAI).date() + timedelta(days=1)
    rostered = await desk.client.post(
        f"/api/dispatch/duty/posts/{post.json()['id']}/roster",
        headers=desk.admin_headers,
        json={"user_ids": [str(engineer.user_id)], "from": tomorrow.isoformat(), "to": tomorrow.isoformat()},
    )
    assert rostered.status_code == 201, rostered.text
    assert (await desk.client.post("/api/dispatch/duty/clock-in", headers=engineer.headers)).status_code == 201
    card = (await desk.client.get("/api/dispatch/duty/me", headers=engineer.headers)).json()
    assert card["on_duty"] is True and card["clocked_in_at"]
    # The next shift, to come: clocked in early, so on duty, but not yet on that shift.
    assert card["shift"]["post_name"] == "节假日值守"
    assert datetime.fromisoformat(card["shift"]["starts_at"]).astimezone(SHANGHAI).strftime("%m-%d %H:%M") == (
        tomorrow.strftime("%m-%d 09:00")
    )
    # Another engineer's card is their own.
    theirs = (await desk.client.get("/api/dispatch/duty/me", headers=other.headers)).json()
    assert theirs == {"on_duty": False, "clocked_in_at": None, "shift": None}
    await desk.client.post("/api/dispatch/duty/clock-out", headers=engineer.headers)
    assert (await desk.client.get("/api/dispatch/duty/me", headers=engineer.headers)).json()["on_duty"] is False
    requester = {"Authorization": f"Bearer {desk.env.token('requester')}"}
    assert (await desk.client.get("/api/dispatch/duty/me", headers=requester)).status_code == 403


async def test_the_queue_puts_the_least_time_left_first_and_hides_assigned_tickets_on_time(desk: Desk) -> None:
    dispatcher = await desk.person("dispatcher")
    engineer = await desk.person("engineer")
    now = datetime.now(UTC)
    # Old enough to be first in a queue shared with other tests' tickets; ordered among themselves.
    oldest = await desk.ticket(created_at=now - timedelta(days=30, minutes=3))
    older = await desk.ticket(created_at=now - timedelta(days=30, minutes=2))
    assigned = await desk.ticket(created_at=now - timedelta(days=30, minutes=1))
    fresh_assigned = await desk.ticket(created_at=now)
    for ticket in (assigned, fresh_assigned):
        resp = await desk.client.post(
            "/api/work-orders",
            headers=dispatcher.headers,
            json={"ticket_id": str(ticket.ticket_id), "engineer_id": str(engineer.user_id)},
        )
        assert resp.status_code == 201
    queue = await desk.client.get("/api/dispatch/queue", headers=dispatcher.headers, params={"limit": 500})
    assert queue.status_code == 200
    ids = [q["ticket_id"] for q in queue.json()]
    mine = [i for i in ids if i in {str(t.ticket_id) for t in (oldest, older, assigned, fresh_assigned)}]
    # The assigned-but-late one stays (at risk); the assigned one on time is not the queue's business.
    assert mine == [str(oldest.ticket_id), str(older.ticket_id), str(assigned.ticket_id)]
    first = next(q for q in queue.json() if q["ticket_id"] == str(oldest.ticket_id))
    assert first["at_risk"] is True and first["most_urgent_clock"]["remaining_seconds"] < 0
    everything = await desk.client.get(
        "/api/dispatch/queue", headers=dispatcher.headers, params={"include_assigned": "true", "limit": 500}
    )
    assert str(fresh_assigned.ticket_id) in [q["ticket_id"] for q in everything.json()]
    engineer_view = await desk.client.get("/api/dispatch/queue", headers=engineer.headers)
    assert engineer_view.status_code == 403


async def test_suggestions_rank_skill_then_duty_then_load_then_district(desk: Desk) -> None:
    dispatcher = await desk.person("dispatcher")
    district = await desk.unit(kind="sub_bureau")
    station = await desk.unit(district)
    network_near = await desk.person("engineer")
    network_far = await desk.person("engineer")
    network_on_duty = await desk.person("engineer")
    hardware = await desk.person("engineer")
    for person, skills, home in (
        (network_near, ["network"], district[-1]),
        (network_far, ["network"], None),
        (network_on_duty, ["network", "hardware"], None),
        (hardware, ["hardware"], None),
    ):
        patch = {"skills": skills, "home_district_id": str(home) if home else None}
        assert (
            await desk.client.patch(f"/api/engineers/{person.user_id}", json=patch, headers=dispatcher.headers)
        ).status_code == 200
    await desk.client.post("/api/dispatch/duty/clock-in", headers=network_on_duty.headers)
    ticket = await desk.ticket(unit_id=station[-1], subcategory="network")
    resp = await desk.client.get(
        "/api/dispatch/suggestions", params={"ticket_id": str(ticket.ticket_id)}, headers=dispatcher.headers
    )
    assert resp.status_code == 200
    ranked = [s["engineer_id"] for s in resp.json()]
    ours = [str(p.user_id) for p in (network_on_duty, network_near, network_far, hardware)]
    assert [r for r in ranked if r in ours][:3] == ours[:3]  # hardware-only may be cut by the limit
    top = next(s for s in resp.json() if s["engineer_id"] == str(network_near.user_id))
    assert top["skill_match"] and top["same_district"] and not top["on_duty"]
    await desk.client.post("/api/dispatch/duty/clock-out", headers=network_on_duty.headers)


async def test_a_reassignment_is_not_offered_the_engineer_who_has_the_ticket(desk: Desk) -> None:
    dispatcher = await desk.person("dispatcher")
    current = await desk.person("engineer")
    await desk.client.patch(
        f"/api/engineers/{current.user_id}", json={"skills": ["hardware"]}, headers=dispatcher.headers
    )
    await desk.client.post("/api/dispatch/duty/clock-in", headers=current.headers)  # the best match on paper
    ticket = await desk.ticket(subcategory="hardware")
    resp = await desk.client.post(
        "/api/work-orders",
        headers=dispatcher.headers,
        json={"ticket_id": str(ticket.ticket_id), "engineer_id": str(current.user_id)},
    )
    assert resp.status_code == 201, resp.text
    try:
        ranked = (
            await desk.client.get(
                "/api/dispatch/suggestions", params={"ticket_id": str(ticket.ticket_id)}, headers=dispatcher.headers
            )
        ).json()
        assert ranked[-1]["engineer_id"] == str(current.user_id) and ranked[-1]["is_current"] is True
        assert not any(s["is_current"] for s in ranked[:-1])
    finally:
        await desk.client.post("/api/dispatch/duty/clock-out", headers=current.headers)


async def test_the_roster_offers_operators_for_the_hotline_post_as_well_as_engineers(desk: Desk) -> None:
    operator = await desk.person("hotline_operator")
    engineer = await desk.person("engineer")
    requester = await desk.person("requester")
    departed = await desk.person("hotline_operator", active=False)
    people = await desk.client.get("/api/dispatch/duty/people", headers=desk.admin_headers)
    assert people.status_code == 200, people.text
    by_id = {p["user_id"]: p["roles"] for p in people.json()}
    assert by_id[str(operator.user_id)] == ["hotline_operator"] and by_id[str(engineer.user_id)] == ["engineer"]
    assert str(requester.user_id) not in by_id and str(departed.user_id) not in by_id
    assert (await desk.client.get("/api/dispatch/duty/people", headers=engineer.headers)).status_code == 403
