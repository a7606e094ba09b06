"""The hotline desk: the call log, the caller lookup, the phone system's events with a screen pop on the
operator's console (a real HTTP server, a real event stream), and attachments on tickets."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn

from intake.config import IntakeSettings
from intake.main import create_app
from opsdesk_shared.contracts.gateway import UserCreated
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, publish

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Units

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_calls_are_logged_and_the_caller_lookup_shows_who_and_what(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    station = await units.add()
    operator = auth(migrated.token("hotline_operator", name="op1"))
    phone = f"1391234{uuid.uuid4().int % 10000:04d}"
    await publish(
        migrated.amqp_url,
        UserCreated(
            user_id=uuid.uuid4(),
            username="zhangsan",
            display_name="张三 (望京派出所)",
            phone=f"+86{phone}",
            roles=["requester"],
            unit_id=station[-1],
            is_active=True,
        ),
    )
    ticket = (
        await intake_client.post(
            "/api/tickets",
            headers=operator,
            json={
                "title": "系统登录失败",
                "description": "提示密码错误",
                "category": "fault",
                "unit_id": str(station[-1]),
                "requester_name": "张三",
                "requester_phone": phone,
                "channel": "hotline",
            },
        )
    ).json()
    started = datetime.now(UTC) - timedelta(minutes=3)
    logged = await intake_client.post(
        "/api/calls",
        headers=operator,
        json={
            "caller_phone": phone,
            "started_at": started.isoformat(),
            "ended_at": datetime.now(UTC).isoformat(),
            "outcome": "new_ticket",
            "notes": "报修登录失败",
            "ticket_id": ticket["id"],
        },
    )
    assert logged.status_code == 201, logged.text
    assert logged.json()["caller_phone"] == f"+86{phone}" and logged.json()["operator_name"] == "op1"

    async def lookup() -> dict[str, Any] | None:
        resp = await intake_client.get(f"/api/callers/{phone}", headers=operator)
        return resp.json() if resp.json()["known_users"] else None

    info = await eventually(lookup)
    assert info["known_users"][0]["display_name"] == "张三 (望京派出所)"
    assert [c["id"] for c in info["calls"]] == [logged.json()["id"]]
    assert [t["id"] for t in info["open_tickets"]] == [ticket["id"]]
    bad = [
        {"caller_phone": "12", "started_at": started.isoformat(), "outcome": "follow_up"},
        {"caller_phone": phone, "started_at": started.isoformat(), "outcome": "gossip"},
        {
            "caller_phone": phone,
            "started_at": started.isoformat(),
            "ended_at": (started - timedelta(1)).isoformat(),
            "outcome": "follow_up",
        },
        {
            "caller_phone": phone,
            "started_at": started.isoformat(),
            "outcome": "follow_up",
            "ticket_id": str(uuid.uuid4()),
        },
    ]
    for case in bad:
        resp = await intake_client.post("/api/calls", headers=operator, json=case)
        assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json", case
    requester = auth(migrated.token("requester", unit_id=station[-1]))
    assert (await intake_client.get(f"/api/callers/{phone}", headers=requester)).status_code == 403
    listed = await intake_client.get("/api/calls", params={"phone": phone}, headers=operator)
    assert [c["id"] for c in listed.json()] == [logged.json()["id"]]

    # A call about a ticket is in the ticket's timeline for staff, once, whether linked when logged or after.
    later = await intake_client.post(
        "/api/calls",
        headers=operator,
        json={"caller_phone": phone, "started_at": datetime.now(UTC).isoformat(), "outcome": "follow_up"},
    )
    for _ in range(2):
        linked = await intake_client.patch(
            f"/api/calls/{later.json()['id']}", headers=operator, json={"ticket_id": ticket["id"], "notes": "询问进度"}
        )
        assert linked.status_code == 200, linked.text

    def calls_in(timeline: list[dict]) -> list[tuple[str, str, str | None]]:
        return [
            (e["detail"]["call_id"], e["detail"]["outcome"], e["detail"].get("notes"))
            for e in timeline
            if e["kind"] == "call_logged"
        ]

    seen = (await intake_client.get(f"/api/tickets/{ticket['id']}", headers=operator)).json()["timeline"]
    assert calls_in(seen) == [
        (logged.json()["id"], "new_ticket", "报修登录失败"),
        (later.json()["id"], "follow_up", "询问进度"),
    ]
    as_requester = (await intake_client.get(f"/api/tickets/{ticket['id']}", headers=requester)).json()["timeline"]
    assert calls_in(as_requester) == []  # the operator's notes are for staff


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def served_intake(migrated: RunEnvironment) -> AsyncIterator[str]:
    """Intake's API on a real socket: event streams need a real HTTP server."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(migrated.settings(IntakeSettings)), port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    await eventually(lambda: _up(port))
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def _up(port: int) -> bool:
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
    except httpx.HTTPError:
        return False


async def test_a_ringing_phone_pops_the_callers_history_on_that_operators_console(
    served_intake: str, migrated: RunEnvironment
) -> None:
    agent = f"op-{uuid.uuid4().hex[:4]}"
    operator = auth(migrated.token("hotline_operator", name=agent))
    phone_system = auth(migrated.token("system", scopes=["cti:events"], name="api-key:pbx"))
    call_id = f"pbx-{uuid.uuid4().hex[:8]}"
    pops: list[dict] = []
    async with httpx.AsyncClient(base_url=served_intake, timeout=30) as client:

        async def listen() -> None:
            async with client.stream("GET", "/api/cti/screen-pops", headers=operator) as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                async for line in stream.aiter_lines():
                    if line.startswith("data: "):
                        pops.append(json.loads(line[6:]))
                        return

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.5)  # the stream is open
        no_scope = await client.post(
            "/api/cti/events",
            headers=auth(migrated.token("system", name="api-key:other")),
            json={"event": "ringing", "call_id": call_id, "caller": "13800138000", "agent": agent},
        )
        assert no_scope.status_code == 403
        for event in ("ringing", "ringing", "answered", "ended"):  # a replayed ringing is harmless
            resp = await client.post(
                "/api/cti/events",
                headers=phone_system,
                json={"event": event, "call_id": call_id, "caller": "138 0013 8000", "agent": agent},
            )
            assert resp.status_code == 202, resp.text
        await asyncio.wait_for(listener, timeout=10)
        assert pops[0]["call_id"] == call_id and pops[0]["caller_phone"] == "+8613800138000"
        calls = await client.get("/api/calls", params={"phone": "13800138000"}, headers=operator)
        mine = [c for c in calls.json() if c["cti_call_id"] == call_id]
        assert len(mine) == 1 and mine[0]["state"] == "ended" and mine[0]["answered_at"]
        done = await client.patch(
            f"/api/calls/{mine[0]['id']}",
            headers=operator,
            json={"outcome": "consultation_answered", "notes": "咨询办证进度"},
        )
        assert done.status_code == 200 and done.json()["outcome"] == "consultation_answered"


async def test_attachments_are_checked_by_content_and_size(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    station = await units.add()
    operator = auth(migrated.token("hotline_operator"))
    ticket = (
        await intake_client.post(
            "/api/tickets",
            headers=operator,
            json={
                "title": "蓝屏",
                "description": "蓝屏截图见附件",
                "category": "fault",
                "unit_id": str(station[-1]),
                "requester_name": "李四",
                "requester_phone": "13800138001",
                "channel": "web",
            },
        )
    ).json()
    url = f"/api/tickets/{ticket['id']}/attachments"
    ok = await intake_client.post(url, headers=operator, files={"file": ("截图.png", PNG, "image/png")})
    assert ok.status_code == 201, ok.text
    assert ok.json()["content_type"] == "image/png" and ok.json()["size"] == len(PNG)
    got = await intake_client.get(f"{url}/{ok.json()['id']}", headers=operator)
    assert got.status_code == 200 and got.content == PNG and got.headers["content-type"] == "image/png"
    disguised = await intake_client.post(
        url, headers=operator, files={"file": ("photo.png", b"MZ\x90\x00" + b"\x00" * 100, "image/png")}
    )
    assert disguised.status_code == 422 and disguised.json()["field"] == "file"
    renamed = await intake_client.post(url, headers=operator, files={"file": ("report.pdf", PNG, "application/pdf")})
    assert renamed.status_code == 422
    huge = PNG + b"\x00" * (10 * 1024 * 1024)
    too_big = await intake_client.post(url, headers=operator, files={"file": ("big.png", huge, "image/png")})
    assert too_big.status_code == 413 and too_big.headers["content-type"] == "application/problem+json"
    detail = (await intake_client.get(f"/api/tickets/{ticket['id']}", headers=operator)).json()
    assert [a["filename"] for a in detail["attachments"]] == ["截图.png"]  # the refused ones left nothing behind
    outsider = auth(migrated.token("requester", unit_id=uuid.uuid4()))
    assert (await intake_client.get(f"{url}/{ok.json()['id']}", headers=outsider)).status_code == 404


async def test_attachments_open_for_readers_of_the_ticket_images_inline_documents_downloaded(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    station = await units.add()
    operator = auth(migrated.token("hotline_operator"))
    ticket = (
        await intake_client.post(
            "/api/tickets",
            headers=operator,
            json={
                "title": "打印机卡纸",
                "description": "照片与检测报告见附件",
                "category": "fault",
                "unit_id": str(station[-1]),
                "requester_name": "王五",
                "requester_phone": "13800138002",
                "channel": "hotline",
            },
        )
    ).json()
    url = f"/api/tickets/{ticket['id']}/attachments"
    photo = (await intake_client.post(url, headers=operator, files={"file": ("现场.png", PNG, "image/png")})).json()
    pdf_bytes = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\n%%EOF\n"
    report = (
        await intake_client.post(url, headers=operator, files={"file": ("检测报告.pdf", pdf_bytes, "application/pdf")})
    ).json()
    own_unit = auth(migrated.token("requester", unit_id=station[-1]))
    image = await intake_client.get(f"{url}/{photo['id']}", headers=own_unit)
    assert image.status_code == 200 and image.content == PNG
    assert image.headers["content-type"] == "image/png"
    assert image.headers["content-disposition"].startswith("inline;")
    assert image.headers["x-content-type-options"] == "nosniff"
    document = await intake_client.get(f"{url}/{report['id']}", headers=own_unit)
    assert document.status_code == 200 and document.headers["content-type"] == "application/pdf"
    assert document.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in document.headers["content-disposition"]
    other_unit = auth(migrated.token("requester", unit_id=(await units.add())[-1]))
    assert (await intake_client.get(f"{url}/{photo['id']}", headers=other_unit)).status_code == 404
    assert (await intake_client.get(f"{url}/{report['id']}", headers=other_unit)).status_code == 404


async def test_a_ticket_filed_from_a_call_links_the_call_in_the_same_step(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    station = await units.add()
    agent = f"op-{uuid.uuid4().hex[:4]}"
    operator = auth(migrated.token("hotline_operator", name=agent))
    phone_system = auth(migrated.token("system", scopes=["cti:events"], name="api-key:pbx"))
    title = f"制证打印机卡纸 {uuid.uuid4().hex[:6]}"  # searched for below: other tests file similar ones
    cti_id, phone = f"pbx-{uuid.uuid4().hex[:8]}", f"1381234{uuid.uuid4().int % 10000:04d}"
    for event in ("ringing", "answered"):
        rung = await intake_client.post(
            "/api/cti/events",
            headers=phone_system,
            json={"event": event, "call_id": cti_id, "caller": phone, "agent": agent},
        )
        assert rung.status_code == 202, rung.text
    listed = await intake_client.get("/api/calls", params={"phone": phone}, headers=operator)
    call = next(c for c in listed.json() if c["cti_call_id"] == cti_id)
    assert call["ticket_id"] is None
    body = {
        "title": title,
        "description": "打印到一半卡纸",
        "category": "fault",
        "unit_id": str(station[-1]),
        "requester_name": "王警官",
        "requester_phone": phone,
        "channel": "hotline",
        "call_id": call["id"],
    }

    filed = await intake_client.post("/api/tickets", headers=operator, json=body)
    assert filed.status_code == 201, filed.text
    ticket = filed.json()
    after = next(c for c in (await intake_client.get("/api/calls", params={"phone": phone}, headers=operator)).json())
    assert (after["id"], after["ticket_id"], after["outcome"]) == (call["id"], ticket["id"], "new_ticket")
    timeline = (await intake_client.get(f"/api/tickets/{ticket['id']}", headers=operator)).json()["timeline"]
    assert [e["detail"]["call_id"] for e in timeline if e["kind"] == "call_logged"] == [call["id"]]

    # One call, one ticket: a second filing from it is refused whole (no ticket without its call), as is a
    # requester naming a call, and a call that does not exist.
    mine = await intake_client.get("/api/tickets", params={"q": title}, headers=operator)
    again = await intake_client.post("/api/tickets", headers=operator, json=body)
    assert again.status_code == 409 and again.json()["field"] == "call_id", again.text
    unknown = await intake_client.post("/api/tickets", headers=operator, json=body | {"call_id": str(uuid.uuid4())})
    assert unknown.status_code == 422 and unknown.json()["field"] == "call_id"
    requester = auth(migrated.token("requester", unit_id=station[-1]))
    refused = await intake_client.post("/api/tickets", headers=requester, json=body | {"channel": "web"})
    assert refused.status_code == 403 and refused.json()["field"] == "call_id"
    still = await intake_client.get("/api/tickets", params={"q": title}, headers=operator)
    assert len(still.json()["items"]) == len(mine.json()["items"]) == 1
