"""The web UI's live stream (`/ui/live/events`) names tickets, so it must nudge each user only about the
tickets they may read: a requester their unit's subtree (including events such as SLA breaches, which do
not carry the unit), staff every ticket. Driven over real HTTP as the browsers do, events published on
the broker as intake and dispatch publish them."""

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn

from gateway import bootstrap
from gateway.config import GatewaySettings
from gateway.main import create_app
from gateway.web.live_scope import LiveScope, TicketUnits, live_scope
from opsdesk_shared.contracts.dispatch import SlaBreached
from opsdesk_shared.contracts.intake import TicketCreated, TicketStatusChanged
from opsdesk_shared.db import create_engine, session_factory, unit_of_work
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, publish

from .conftest import ADMIN_PASSWORD, NO_SERVICES

PASSWORD = "Right-passw0rd"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _up(url: str) -> bool:
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"{url}/healthz")).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
async def served_gateway(migrated: RunEnvironment) -> AsyncIterator[str]:
    """The gateway on a real socket: an event stream needs a real HTTP server."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    settings = migrated.settings(
        GatewaySettings,
        jwt_private_key_file=migrated.private_key_file,
        admin_password=ADMIN_PASSWORD,
        rate_limit="1000/second",
        login_rate_limit="1000/minute",
        public_url=url,
        **NO_SERVICES,
    )
    engine = create_engine(settings)
    async with unit_of_work(session_factory(engine)) as session:
        await bootstrap.bootstrap_admin(session, settings)
    await engine.dispose()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: _up(url), timeout=30)
    yield url
    server.should_exit = True
    await task


class Browser:
    """One signed-in user's web session and the names of the live events its page received."""

    def __init__(self, url: str) -> None:
        self.http = httpx.AsyncClient(base_url=url, timeout=30)
        self.events: list[str] = []
        self._listener: asyncio.Task[None] | None = None

    async def sign_in(self, username: str) -> None:
        resp = await self.http.post("/login", data={"username": username, "password": PASSWORD})
        assert resp.status_code == 303, resp.text

    async def listen(self) -> None:
        async def read() -> None:
            async with self.http.stream("GET", "/ui/live/events") as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                async for line in stream.aiter_lines():
                    if line.startswith("event: "):
                        self.events.append(line[7:])

        self._listener = asyncio.create_task(read())
        # The stream opens with a resync once this user's queue is subscribed: from then on nothing is missed.
        await eventually(lambda: "resync" in self.events, timeout=15)

    async def close(self) -> None:
        if self._listener:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        await self.http.aclose()


async def _setup(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        login = await http.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}

        async def unit(kind: str, parent: str | None) -> str:
            body = {"code": f"LS-{uuid.uuid4().hex[:6]}", "name": "直播测试", "kind": kind, "parent_id": parent}
            resp = await http.post("/api/admin/units", headers=admin, json=body)
            assert resp.status_code == 201, resp.text
            return str(resp.json()["id"])

        async def user(roles: list[str], unit_id: str | None) -> str:
            username = f"ls{uuid.uuid4().hex[:8]}"
            body = {"username": username, "password": PASSWORD, "display_name": "直播", "roles": roles}
            resp = await http.post("/api/admin/users", headers=admin, json={**body, "unit_id": unit_id})
            assert resp.status_code == 201, resp.text
            return username

        sub_bureau = await unit("sub_bureau", None)
        station_a = await unit("police_station", sub_bureau)
        station_b = await unit("police_station", sub_bureau)
        return {
            "station_a": station_a,
            "station_b": station_b,
            "requester_b": await user(["requester"], station_b),
            "requester_above": await user(["requester"], sub_bureau),
            "dispatcher": await user(["dispatcher"], None),
        }


def _created(ticket_id: uuid.UUID, unit_id: str, at: datetime) -> TicketCreated:
    return TicketCreated(
        ticket_id=ticket_id,
        number=f"20261207-{uuid.uuid4().int % 10_000:04d}",
        title="打印机故障",
        category="fault",
        priority="P2",
        status="new",
        unit_id=uuid.UUID(unit_id),
        channel="web",
        requester_name="张*",
        requester_phone="+8613800138000",
        created_at=at,
    )


async def test_a_requester_is_nudged_only_about_tickets_of_their_units_subtree(
    served_gateway: str, migrated: RunEnvironment
) -> None:
    people = await _setup(served_gateway)
    browsers = {who: Browser(served_gateway) for who in ("requester_b", "requester_above", "dispatcher")}
    try:
        for who, browser in browsers.items():
            await browser.sign_in(people[who])
            await browser.listen()
        now = datetime.now(UTC)
        in_a, in_b, older_in_a = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        await publish(
            migrated.amqp_url,
            _created(in_a, people["station_a"], now),
            # Dispatch's SLA events do not carry the unit: the gateway knows it from the ticket's creation.
            SlaBreached(
                ticket_id=in_a, clock_id=uuid.uuid4(), metric="arrival", due_at=now, fired_at=now, breached_at=now
            ),
            # A ticket filed before this gateway started: its status change names its unit itself.
            TicketStatusChanged(
                ticket_id=older_in_a,
                number="20261201-0001",
                from_status="assigned",
                to_status="in_progress",
                changed_at=now,
                unit_id=uuid.UUID(people["station_a"]),
            ),
            _created(in_b, people["station_b"], now + timedelta(seconds=1)),  # the last: every stream's marker
        )
        for browser in browsers.values():

            def heard(b: Browser = browser) -> bool:
                return f"t-{in_b}" in b.events

            await eventually(heard, timeout=15)

        # Station B's requester heard of its own ticket, and of nothing at all about station A's.
        assert not {f"t-{in_a}", f"t-{older_in_a}"} & set(browsers["requester_b"].events)
        assert "escalation" not in browsers["requester_b"].events
        # The sub-bureau above both stations reads both; the dispatcher reads everything and is escalated to.
        assert {f"t-{in_a}", f"t-{older_in_a}"} <= set(browsers["requester_above"].events)
        assert {f"t-{in_a}", "escalation", "queue"} <= set(browsers["dispatcher"].events)
    finally:
        for browser in browsers.values():
            await browser.close()


def _units(*paths: list[str]) -> list[dict[str, Any]]:
    return [{"id": path[-1], "path": path} for path in paths]


TREE = _units(["root"], ["root", "east"], ["root", "east", "s1"], ["root", "west"], ["root", "west", "s2"])


@pytest.mark.parametrize(
    ("roles", "unit", "ticket_unit", "sees"),
    [
        (["requester"], "s1", "s1", True),
        (["requester"], "east", "s1", True),  # the subtree below their unit
        (["requester"], "s1", "east", False),  # not the unit above
        (["requester"], "s2", "s1", False),  # nor a sibling
        (["requester"], "s1", None, False),  # a ticket of unknown unit: staff only
        (["requester"], None, "s1", False),  # a requester without a unit reads no tickets
        (["dispatcher"], None, "s1", True),
        (["hotline_operator"], None, None, True),
        (["engineer"], None, "s2", True),
        (["requester", "supervisor"], "s1", "s2", True),  # staff by any of their roles
        (["auditor"], None, "s1", False),  # reads the audit log, not tickets
        (["security_admin"], None, "s1", False),
    ],
)
def test_live_scope(roles: list[str], unit: str | None, ticket_unit: str | None, sees: bool) -> None:
    assert live_scope(roles, unit, TREE).may_see(ticket_unit) is sees


def test_ticket_units_forget_the_least_recently_seen_first() -> None:
    units = TicketUnits(capacity=2)
    units.learn("t1", "u1")
    units.learn("t2", "u2")
    units.learn("t1", "u1")  # seen again: now the most recent
    units.learn("t3", "u3")
    assert (units.unit_of("t1"), units.unit_of("t2"), units.unit_of("t3")) == ("u1", None, "u3")
    assert LiveScope(every_ticket=False).may_see("u1") is False
