"""Filing and reading tickets through intake's HTTP API, on the real database."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import TYPE_CHECKING

import asyncpg
import httpx

from opsdesk_shared.audit_trail import CHANGES_HEADER
from opsdesk_shared.testing.plugin import RunEnvironment

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Units

UNIT = uuid.uuid4()
OTHER_UNIT = uuid.uuid4()


def ticket_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "title": "制证打印机卡纸",
        "description": "望京派出所居住证制证打印机卡纸，无法打印。",
        "category": "fault",
        "priority": "P2",
        "unit_id": str(UNIT),
        "requester_name": "李强",
        "requester_phone": "138 0013 8000",
        "channel": "hotline",
    }
    body.update(overrides)
    return body


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_created_ticket_has_a_dated_number_e164_phone_and_an_outboxed_event(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    resp = await intake_client.post(
        "/api/tickets", json=ticket_body(), headers=auth(migrated.token("hotline_operator"))
    )
    assert resp.status_code == 201, resp.text
    ticket = resp.json()
    assert re.fullmatch(r"\d{8}-\d{4}", ticket["number"])
    assert ticket["status"] == "new" and ticket["requester_phone"] == "+8613800138000"
    conn = await asyncpg.connect(f"{migrated.servers.database_url}/{migrated.database_prefix}_intake")
    try:
        row = await conn.fetchrow(
            "SELECT envelope FROM outbox_message WHERE envelope->'data'->>'ticket_id' = $1", ticket["id"]
        )
    finally:
        await conn.close()
    envelope = json.loads(row["envelope"])
    assert envelope["type"] == "ticket.created" and envelope["data"]["number"] == ticket["number"]
    detail = await intake_client.get(f"/api/tickets/{ticket['id']}", headers=auth(migrated.token("dispatcher")))
    assert detail.json()["timeline"][0]["kind"] == "created"


async def test_filing_hands_the_ticket_and_its_created_line_to_the_audit_trail(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    resp = await intake_client.post(
        "/api/tickets", json=ticket_body(), headers=auth(migrated.token("hotline_operator"))
    )
    assert resp.status_code == 201, resp.text
    ticket = resp.json()
    audited = json.loads(resp.headers[CHANGES_HEADER])
    row = next(r for r in audited if r["table"] == "ticket")
    assert row["op"] == "insert" and row["key"] == [ticket["id"]] and row["label"] == ticket["number"]
    assert row["after"]["number"] == ticket["number"] and row["after"]["title"] == "制证打印机卡纸"
    assert "8000" in row["after"]["requester_phone"] and row["after"]["requester_phone"] != "+8613800138000"
    line = next(r for r in audited if r["table"] == "ticket_event")
    assert line["op"] == "insert" and line["after"]["ticket_id"] == ticket["id"]
    assert line["after"]["kind"] == "created" and line["after"]["detail"]["channel"] == "hotline"


async def test_bad_input_names_the_field_and_writes_nothing(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    token = auth(migrated.token("hotline_operator"))
    cases = {
        "requester_phone": ticket_body(requester_phone="12345"),
        "title": ticket_body(title="长" * 201),
        "category": ticket_body(category="urgent"),
        "colour": ticket_body(colour="red"),
        "unit_id": ticket_body(unit_id="not-a-uuid"),
    }
    before = (await intake_client.get("/api/tickets?limit=200", headers=token)).json()["items"]
    for field, body in cases.items():
        resp = await intake_client.post("/api/tickets", json=body, headers=token)
        assert resp.status_code == 422, (field, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
        problem = resp.json()
        assert problem.get("field") == field or problem["errors"][0]["field"] == field
    after = (await intake_client.get("/api/tickets?limit=200", headers=token)).json()["items"]
    assert len(after) == len(before)


async def test_requester_files_only_for_their_unit_and_sees_only_its_tickets(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    await units.add(unit_id=UNIT)
    await units.add(unit_id=OTHER_UNIT)
    requester = auth(migrated.token("requester", unit_id=UNIT))
    refused = await intake_client.post("/api/tickets", json=ticket_body(unit_id=str(OTHER_UNIT)), headers=requester)
    assert refused.status_code == 403
    other = await intake_client.post(
        "/api/tickets", json=ticket_body(unit_id=str(OTHER_UNIT)), headers=auth(migrated.token("hotline_operator"))
    )
    hidden = await intake_client.get(f"/api/tickets/{other.json()['id']}", headers=requester)
    assert hidden.status_code == 404
    mine = (await intake_client.get("/api/tickets?limit=200", headers=requester)).json()["items"]
    assert mine and all(t["unit_id"] == str(UNIT) for t in mine)


async def test_a_ticket_the_hotline_files_for_a_station_is_seen_by_its_sub_bureau_and_not_a_sibling(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    sub_bureau = await units.add(kind="sub_bureau")
    station = await units.add(parent_path=sub_bureau)
    sibling = await units.add(parent_path=sub_bureau)
    filed = await intake_client.post(
        "/api/tickets", json=ticket_body(unit_id=str(station[-1])), headers=auth(migrated.token("hotline_operator"))
    )
    assert filed.status_code == 201, filed.text
    ticket_id = filed.json()["id"]
    for unit, status in ((sub_bureau[-1], 200), (station[-1], 200), (sibling[-1], 404)):
        seen = await intake_client.get(
            f"/api/tickets/{ticket_id}", headers=auth(migrated.token("requester", unit_id=unit))
        )
        assert seen.status_code == status, (unit, seen.text)


async def test_engineers_and_anonymous_callers_cannot_file(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    assert (await intake_client.post("/api/tickets", json=ticket_body())).status_code == 401
    engineer = await intake_client.post("/api/tickets", json=ticket_body(), headers=auth(migrated.token("engineer")))
    assert engineer.status_code == 403


async def test_concurrent_filings_get_distinct_consecutive_numbers(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    token = auth(migrated.token("hotline_operator"))
    responses = await asyncio.gather(
        *(intake_client.post("/api/tickets", json=ticket_body(), headers=token) for _ in range(30))
    )
    assert all(r.status_code == 201 for r in responses)
    numbers = sorted(r.json()["number"] for r in responses)
    sequence = [int(n.split("-")[1]) for n in numbers]
    assert len(set(numbers)) == 30 and sequence == list(range(sequence[0], sequence[0] + 30))


async def test_numbers_are_taken_afresh_after_the_database_dropped_every_connection(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    """The API takes its numbers on a connection of its own (tickets/numbering.py): a restart or failover of the
    database, which ends it, costs the next filing nothing but a reconnect."""
    token = auth(migrated.token("hotline_operator"))
    first = await intake_client.post("/api/tickets", json=ticket_body(), headers=token)
    assert first.status_code == 201, first.text
    database = f"{migrated.database_prefix}_intake"
    conn = await asyncpg.connect(f"{migrated.servers.database_url}/{database}")
    try:
        ended = await conn.fetchval(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()) t",
            database,
        )
    finally:
        await conn.close()
    assert ended >= 1
    second = await intake_client.post("/api/tickets", json=ticket_body(), headers=token)
    assert second.status_code == 201, second.text
    day, seq = first.json()["number"].split("-")
    assert second.json()["number"].startswith(day) and int(second.json()["number"].split("-")[1]) > int(seq)


async def test_past_9999_in_a_day_the_number_grows_a_digit(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    token = auth(migrated.token("hotline_operator"))
    first = (await intake_client.post("/api/tickets", json=ticket_body(), headers=token)).json()["number"]
    day, seq = first.split("-")
    conn = await asyncpg.connect(f"{migrated.servers.database_url}/{migrated.database_prefix}_intake")
    try:
        await conn.execute("UPDATE ticket_number_counter SET last = 9999 WHERE to_char(day, 'YYYYMMDD') = $1", day)
        try:
            resp = await intake_client.post("/api/tickets", json=ticket_body(), headers=token)
        finally:  # the day's later tickets (other tests) carry on from where they were: 10000 is taken once
            await conn.execute(
                "UPDATE ticket_number_counter SET last = $2 WHERE to_char(day, 'YYYYMMDD') = $1", day, int(seq)
            )
    finally:
        await conn.close()
    assert resp.status_code == 201, resp.text
    assert resp.json()["number"] == f"{day}-10000"


async def test_list_pages_with_a_cursor_without_repeats(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    token = auth(migrated.token("dispatcher"))
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        resp = await intake_client.get(
            "/api/tickets", params={"limit": 7, **({"cursor": cursor} if cursor else {})}, headers=token
        )
        page = resp.json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) >= 30
    bad = await intake_client.get("/api/tickets", params={"cursor": "garbage"}, headers=token)
    assert bad.status_code == 422
