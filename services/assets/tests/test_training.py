"""Training sessions (培训) through HTTP on real PostgreSQL and RabbitMQ: arranged by the vendor, seen by their
audience only, signed in to once per person while open (an ended or not-yet-open session refused by rule),
rated by attendees, materials stored with type and size limits; each change announced for the reports."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from opsdesk_shared.contracts.gateway import UserCreated
from opsdesk_shared.testing.workers import EventTap, eventually, publish

from .conftest import Ledger


def session_body(audience: list[uuid.UUID], *, starts_in: timedelta, hours: float = 2, **fields: Any) -> dict[str, Any]:
    starts = datetime.now(UTC) + starts_in
    return {
        "topic": "居住证受理系统操作培训",
        "trainer": "张工",
        "place": "市局三楼会议室",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=hours)).isoformat(),
        "audience_unit_ids": [str(u) for u in audience],
        **fields,
    }


async def arrange(ledger: Ledger, body: dict[str, Any]) -> dict[str, Any]:
    resp = await ledger.client.post("/api/training/sessions", json=body, headers=ledger.as_("engineer"))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def person(ledger: Ledger, unit_id: uuid.UUID | None, *roles: str, name: str = "李警官") -> dict[str, str]:
    """The same person on every call (one subject), as their own account is."""
    token = ledger.env.token(*(roles or ("requester",)), unit_id=unit_id, subject=uuid.uuid4(), name=name)
    return {"Authorization": f"Bearer {token}"}


async def test_an_attendee_signs_in_once_rates_the_session_and_the_reports_hear_of_it(ledger: Ledger) -> None:
    branch = await ledger.unit()
    station = await ledger.unit(branch)
    training = await arrange(ledger, session_body([branch[-1]], starts_in=timedelta(minutes=-10)))
    assert training["state"] == "open" and training["attendees"] == 0

    clerk = person(ledger, station[-1])
    async with EventTap(ledger.env.amqp_url, "training.*") as tap:
        first = await ledger.client.post(f"/api/training/sessions/{training['id']}/sign-in", headers=clerk)
        assert first.status_code == 201, first.text
        again = await ledger.client.post(f"/api/training/sessions/{training['id']}/sign-in", headers=clerk)
        assert again.status_code == 200 and again.json()["signed_in_at"] == first.json()["signed_in_at"]
        rated = await ledger.client.put(
            f"/api/training/sessions/{training['id']}/feedback",
            json={"rating": 5, "comment": "讲得清楚"},
            headers=clerk,
        )
        assert rated.status_code == 200, rated.text
        await eventually(lambda: {"training.signed_in", "training.feedback_given"} <= {e.type for e in tap.received})
        signed = [e for e in tap.received if e.type == "training.signed_in" and e.data["session_id"] == training["id"]]
        assert len(signed) == 1  # twice = once
        assert signed[0].data["unit_id"] == str(station[-1])

    seen = await ledger.client.get(f"/api/training/sessions/{training['id']}", headers=clerk)
    assert seen.json()["signed_in"] is True and seen.json()["attendees"] == 1 and seen.json()["mean_rating"] == 5
    assert seen.json()["attendee_list"] == []  # the list is the vendor's and the supervisors'
    staff = await ledger.client.get(f"/api/training/sessions/{training['id']}", headers=ledger.as_("supervisor"))
    [attendee] = staff.json()["attendee_list"]
    assert attendee["display_name"] == "李警官" and attendee["rating"] == 5


async def test_sign_in_to_an_ended_session_is_refused_clearly_and_nothing_is_written(ledger: Ledger) -> None:
    [branch] = await ledger.unit()
    ended = await arrange(ledger, session_body([branch], starts_in=timedelta(hours=-3)))
    later = await arrange(ledger, session_body([branch], starts_in=timedelta(days=2)))
    clerk = person(ledger, branch)

    refused = await ledger.client.post(f"/api/training/sessions/{ended['id']}/sign-in", headers=clerk)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "training.ended" and refused.json()["field"] == "session_id"
    early = await ledger.client.post(f"/api/training/sessions/{later['id']}/sign-in", headers=clerk)
    assert early.status_code == 409 and early.json()["code"] == "training.sign_in_not_open"
    listed = await ledger.client.get(f"/api/training/sessions/{ended['id']}/attendees", headers=ledger.admin)
    assert listed.json() == []
    not_attendee = await ledger.client.put(
        f"/api/training/sessions/{ended['id']}/feedback", json={"rating": 4}, headers=clerk
    )
    assert not_attendee.status_code == 422 and not_attendee.json()["code"] == "training.feedback_not_attendee"


async def test_a_session_is_seen_by_its_audience_only(ledger: Ledger) -> None:
    branch = await ledger.unit()
    station = await ledger.unit(branch)
    [elsewhere] = await ledger.unit()
    training = await arrange(ledger, session_body([station[-1]], starts_in=timedelta(minutes=-5)))

    for unit, visible in ((station[-1], True), (branch[-1], True), (elsewhere, False)):
        listed = await ledger.client.get("/api/training/sessions", headers=person(ledger, unit))
        assert (training["id"] in {s["id"] for s in listed.json()}) is visible, unit
    outsider = person(ledger, elsewhere)
    assert (await ledger.client.get(f"/api/training/sessions/{training['id']}", headers=outsider)).status_code == 404
    refused = await ledger.client.post(f"/api/training/sessions/{training['id']}/sign-in", headers=outsider)
    assert refused.status_code == 404
    requester_arranging = await ledger.client.post(
        "/api/training/sessions", json=session_body([elsewhere], starts_in=timedelta(days=1)), headers=outsider
    )
    assert requester_arranging.status_code == 403


async def test_bad_sessions_are_refused_naming_the_field(ledger: Ledger) -> None:
    [branch] = await ledger.unit()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"topic": ""}, "topic"),
        ({"audience_unit_ids": []}, "audience_unit_ids"),
        ({"audience_unit_ids": [str(uuid.uuid4())]}, "audience_unit_ids"),
        ({"request_ticket": "not-a-number"}, "request_ticket"),
        ({"colour": "red"}, "colour"),
    ]
    for change, field in cases:
        body = {**session_body([branch], starts_in=timedelta(days=1)), **change}
        resp = await ledger.client.post("/api/training/sessions", json=body, headers=ledger.admin)
        assert resp.status_code == 422, (change, resp.text)
        problem = resp.json()
        assert field in str(problem.get("field") or problem.get("errors")), (change, problem)
    backwards = session_body([branch], starts_in=timedelta(days=1), hours=-1)
    resp = await ledger.client.post("/api/training/sessions", json=backwards, headers=ledger.admin)
    assert resp.status_code == 422


async def test_materials_are_stored_within_their_limits_and_listed_as_delivered(ledger: Ledger) -> None:
    [branch] = await ledger.unit()
    training = await arrange(ledger, session_body([branch], starts_in=timedelta(days=1)))
    url = f"/api/training/sessions/{training['id']}/materials"
    async with EventTap(ledger.env.amqp_url, "training.session_saved") as tap:
        added = await ledger.client.post(
            url, files={"file": ("操作手册.pdf", b"%PDF-1.4 manual", "application/pdf")}, headers=ledger.as_("engineer")
        )
        assert added.status_code == 201, added.text

        def delivered() -> bool:
            mine = [e for e in tap.received if e.data["session_id"] == training["id"]]
            return bool(mine) and [m["filename"] for m in mine[-1].data["materials"]] == ["操作手册.pdf"]

        await eventually(delivered)
    got = await ledger.client.get(f"{url}/{added.json()['id']}", headers=person(ledger, branch))
    assert got.status_code == 200 and got.content == b"%PDF-1.4 manual"
    assert got.headers["content-type"] == "application/pdf"

    script = await ledger.client.post(
        url, files={"file": ("setup.exe", b"MZ", "application/octet-stream")}, headers=ledger.admin
    )
    assert script.status_code == 422 and script.json()["code"] == "training.material_type"
    huge = await ledger.client.post(
        url, files={"file": ("big.pdf", b"0" * (10 * 1024 * 1024 + 1), "application/pdf")}, headers=ledger.admin
    )
    assert huge.status_code == 413
    detail = await ledger.client.get(f"/api/training/sessions/{training['id']}", headers=ledger.admin)
    assert [m["filename"] for m in detail.json()["materials"]] == ["操作手册.pdf"]


async def test_the_attendee_list_shows_peoples_names_from_the_gateway(ledger: Ledger) -> None:
    [branch] = await ledger.unit()
    training = await arrange(ledger, session_body([branch], starts_in=timedelta(minutes=-1)))
    user_id = uuid.uuid4()
    await publish(
        ledger.env.amqp_url,
        UserCreated(
            user_id=user_id,
            username="wj0042",
            display_name="王晓明",
            phone=None,
            roles=["requester"],
            unit_id=branch,
            is_active=True,
            aggregate_version=1,
        ),  # fmt: skip
    )

    async def named() -> bool:
        token = ledger.env.token("requester", unit_id=branch, subject=user_id, name="wj0042")
        headers = {"Authorization": f"Bearer {token}"}
        await ledger.client.post(f"/api/training/sessions/{training['id']}/sign-in", headers=headers)
        listed = await ledger.client.get(f"/api/training/sessions/{training['id']}/attendees", headers=ledger.admin)
        return [a["display_name"] for a in listed.json()] == ["王晓明"]

    await eventually(lambda: knows_person(ledger, user_id))
    assert await named()


async def knows_person(ledger: Ledger, user_id: uuid.UUID) -> bool:
    conn = await asyncpg.connect(f"{ledger.env.servers.database_url}/{ledger.env.database_prefix}_assets")
    try:
        return bool(await conn.fetchval("SELECT 1 FROM directory_user WHERE id = $1", user_id))
    finally:
        await conn.close()


async def test_a_time_without_its_offset_is_refused_by_name(ledger: Ledger) -> None:
    [branch] = await ledger.unit()
    body = {**session_body([branch], starts_in=timedelta(days=1)), "starts_at": "2030-01-01T10:00:00"}
    resp = await ledger.client.post("/api/training/sessions", json=body, headers=ledger.admin)
    assert resp.status_code == 422 and "starts_at" in str(resp.json())
