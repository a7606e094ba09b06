import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from aiohttp import web
from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp

import gateway.worker
from gateway.auth.passwords import generate_password
from gateway.config import GatewaySettings
from gateway.main import create_app
from opsdesk_shared.testing.plugin import RunEnvironment

ADMIN_PASSWORD = generate_password()
# No service runs in these tests: route every prefix to a port where nothing listens, whatever else runs here.
NOWHERE = "http://127.0.0.1:1"
NO_SERVICES = {
    "intake_url": NOWHERE,
    "dispatch_url": NOWHERE,
    "notifications_url": NOWHERE,
    "reporting_url": NOWHERE,
    "assets_url": NOWHERE,
}


@asynccontextmanager
async def serving(upstream: web.Application) -> AsyncIterator[str]:
    """`upstream` (a stand-in service) on a real port of this machine, for as long as the block runs: its URL.
    What the gateway sends a service is only visible at the service's end of a real connection."""
    runner = web.AppRunner(upstream)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def started_gateway(settings: GatewaySettings) -> AsyncIterator[ASGIApp]:
    """A gateway app with its bootstrap administrator, started (lifespan)."""
    from gateway import bootstrap
    from opsdesk_shared.db import create_engine, session_factory, unit_of_work

    engine = create_engine(settings)
    async with unit_of_work(session_factory(engine)) as session:
        await bootstrap.bootstrap_admin(session, settings)
    await engine.dispose()
    async with LifespanManager(create_app(settings)) as manager:
        yield manager.app


def client_from(app: ASGIApp, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """An HTTP client whose requests reach `app` from the TCP peer `address` (a browser, or a proxy)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 50000)), base_url="http://gw")


@asynccontextmanager
async def running_gateway(settings: GatewaySettings) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway app with its bootstrap administrator, started (lifespan) and spoken to over ASGI."""
    async with started_gateway(settings) as app, client_from(app) as client:
        yield client


@asynccontextmanager
async def running_worker(settings: GatewaySettings) -> AsyncIterator[None]:
    """`python -m gateway worker`'s work (relay, audit retention and checkpoints, TOTP resealing) in this
    process, stopped on exit."""
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.worker.run(settings, stop))
    try:
        yield
    finally:
        stop.set()
        await task


@pytest.fixture(scope="module")
async def gateway_app(migrated: RunEnvironment) -> AsyncIterator[httpx.AsyncClient]:
    settings = migrated.settings(
        GatewaySettings,
        jwt_private_key_file=migrated.private_key_file,
        admin_password=ADMIN_PASSWORD,
        rate_limit="1000/second",
        login_rate_limit="1000/minute",
        **NO_SERVICES,
    )
    async with running_gateway(settings) as client:
        yield client


@pytest.fixture
async def gateway_db(migrated: RunEnvironment) -> AsyncIterator[asyncpg.Connection]:
    """The gateway's own database, to do what time would do (age a stamp) or count what was written."""
    conn = await asyncpg.connect(f"{migrated.servers.database_url}/{migrated.database_prefix}_gateway")
    yield conn
    await conn.close()


@pytest.fixture
def client(gateway_app: httpx.AsyncClient) -> httpx.AsyncClient:
    return gateway_app


LoginAs = Callable[[str, str], Awaitable[str]]


@pytest.fixture
def login_as(client: httpx.AsyncClient) -> LoginAs:
    async def login(username: str, password: str) -> str:
        resp = await client.post("/api/auth/login", json={"username": username, "password": password})
        assert resp.status_code == 200, resp.text
        return str(resp.json()["access_token"])

    return login


@pytest.fixture
async def admin_token(login_as: LoginAs) -> str:
    return await login_as("admin", ADMIN_PASSWORD)


@pytest.fixture
def make_user(client: httpx.AsyncClient, admin_token: str) -> Callable[..., Awaitable[str]]:
    async def make(roles: list[str], password: str = "Right-passw0rd", unit_id: str | None = None) -> str:
        username = f"u{uuid.uuid4().hex[:10]}"
        resp = await client.post(
            "/api/admin/users",
            headers={"Authorization": f"Bearer {admin_token}"},
            json={
                "username": username,
                "password": password,
                "display_name": "测试用户",
                "phone": "13900139000",
                "roles": roles,
                "unit_id": unit_id,
            },
        )
        assert resp.status_code == 201, resp.text
        return username

    return make
