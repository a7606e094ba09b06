"""The gateway's rate limits through Redis Sentinel, as k8s/data deploys Redis (issue 23): the gateway finds
the primary through the Sentinels (`OPSDESK_REDIS_URL=redis+sentinel://…/opsdesk`) and, after a failover,
the new one, with the counts made before it. A primary, a replica and a Sentinel of this test's own on
free ports (the machine's Redis is left alone), all stopped at the end."""

import asyncio
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import redis
from limits import RateLimitItem, parse

from devstack.setup import ServerUnreachable, check_servers
from gateway.rate_limits import RateLimits
from gateway.web.session_locks import SessionLocks
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually

PASSWORD = "sentinel-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def sentinel(tmp_path: Path) -> Iterator[tuple[int, int, int]]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (make setup installs it)")
    primary, replica, sentinel_port = _free_port(), _free_port(), _free_port()
    common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", PASSWORD]
    common += ["--masterauth", PASSWORD, "--dir", str(tmp_path)]
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {sentinel_port}\nbind 127.0.0.1\nrequirepass {PASSWORD}\nsentinel sentinel-pass {PASSWORD}\n"
        f"sentinel monitor opsdesk 127.0.0.1 {primary} 1\nsentinel auth-pass opsdesk {PASSWORD}\n"
        "sentinel down-after-milliseconds opsdesk 1000\n"
    )
    processes = [
        subprocess.Popen(["redis-server", "--port", str(primary), *common], stdout=subprocess.DEVNULL),
        subprocess.Popen(
            ["redis-server", "--port", str(replica), "--replicaof", "127.0.0.1", str(primary), *common],
            stdout=subprocess.DEVNULL,
        ),
        subprocess.Popen(["redis-server", str(conf), "--sentinel"], stdout=subprocess.DEVNULL),
    ]
    try:
        yield primary, replica, sentinel_port
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def _client(port: int) -> redis.Redis:
    return redis.Redis(port=port, password=PASSWORD, socket_timeout=2)


def _command(port: int, *args: str) -> Any:
    # redis-py leaves execute_command unannotated (a Sentinel command has no typed method).
    return _client(port).execute_command(*args)  # type: ignore[no-untyped-call]


def _replication(port: int) -> dict[str, Any]:
    # redis-py types every reply as "awaitable or not" for its two clients; this one is synchronous.
    return cast(dict[str, Any], _client(port).info("replication"))


async def test_the_gateway_counts_on_the_primary_the_sentinels_name_before_and_after_a_failover(
    sentinel: tuple[int, int, int],
) -> None:
    primary, replica, sentinel_port = sentinel
    # The replica has synced and the Sentinel knows it: only then can it fail over.
    await eventually(lambda: _ready(replica, sentinel_port), timeout=20)
    limits = RateLimits(f"redis+sentinel://:{PASSWORD}@127.0.0.1:{sentinel_port}/opsdesk", key_prefix="t")
    await limits.start()
    try:
        limit = parse("3/minute")
        assert [await limits.allow(limit, "caller") for _ in range(2)] == [True, True]
        await eventually(lambda: _failover(sentinel_port), timeout=30)
        await eventually(lambda: _primary(sentinel_port) == replica and _role(replica) == "master", timeout=20)
        # The old primary follows the new one: it refuses writes, so a hit that counts went to the new one.
        await eventually(lambda: _role(primary) == "slave", timeout=20)
        # The two hits counted before the failover are on the new primary: one more is allowed, then none.
        assert [await _allow_across_failover(limits, limit) for _ in range(2)] == [True, False]
    finally:
        await limits.close()


async def test_console_locks_are_kept_on_the_primary_the_sentinels_name(sentinel: tuple[int, int, int]) -> None:
    """The web consoles' server-side locks (web/session_locks.py) read the same URL as the rate limits."""
    primary, replica, sentinel_port = sentinel
    await eventually(lambda: _ready(replica, sentinel_port), timeout=20)
    locks = SessionLocks(f"redis+sentinel://:{PASSWORD}@127.0.0.1:{sentinel_port}/opsdesk", key_prefix="t", ttl_s=60)
    try:
        await locks.lock("a-session", 1234.5)
        assert await locks.locked_at("a-session") == 1234.5
        assert await locks.locked_at("another-session") is None
        assert _client(_primary(sentinel_port)).exists("t:web-lock:a-session")
    finally:
        await locks.close()


async def test_the_setup_step_checks_redis_through_the_sentinels(
    sentinel: tuple[int, int, int], opsdesk: RunEnvironment
) -> None:
    """The k8s migrate Job runs `devstack setup`, which checks every server first: with the Sentinel URL too."""
    _, _, sentinel_port = sentinel
    servers = (opsdesk.servers.database_url, opsdesk.amqp_url)
    await check_servers(*servers, f"redis+sentinel://:{PASSWORD}@127.0.0.1:{sentinel_port}/opsdesk")
    with pytest.raises(ServerUnreachable, match=r"^Redis is not reachable at redis\+sentinel://:\*\*\*@"):
        await check_servers(*servers, f"redis+sentinel://:{PASSWORD}@127.0.0.1:{sentinel_port}/no-such-service")


async def _allow_across_failover(limits: RateLimits, limit: RateLimitItem) -> bool:
    """A connection to the demoted primary fails once (READONLY) and the client asks the Sentinel again;
    while that happens the gateway lets the request through (RateLimits.allow), so retry until it counts."""
    for _ in range(50):
        allowed = await limits.allow(limit, "caller")
        if not limits._storage_down:
            return allowed
        await asyncio.sleep(0.1)
    raise AssertionError("the gateway never reached the new primary")


def _ready(replica: int, sentinel_port: int) -> bool:
    try:
        info = _replication(replica)
        replicas = _command(sentinel_port, "SENTINEL", "REPLICAS", "opsdesk")
    except redis.RedisError:
        return False
    return info.get("master_link_status") == "up" and len(replicas) == 1


def _failover(sentinel_port: int) -> bool:
    """Asks the Sentinel to fail over; False while it finds no replica good enough yet (NOGOODSLAVE: it has
    not seen the replica's link up long enough, which a loaded machine stretches)."""
    try:
        _command(sentinel_port, "SENTINEL", "FAILOVER", "opsdesk")
    except redis.ResponseError as error:
        if "NOGOODSLAVE" in str(error):
            return False
        raise
    return True


def _primary(sentinel_port: int) -> int:
    return int(_command(sentinel_port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "opsdesk")[1])


def _role(port: int) -> str:
    return str(_replication(port)["role"])
