"""Rate-limit counters in Redis (`limits`' moving window), so every gateway replica counts against the same
limits: with a counter per process, N replicas behind the ingress would each allow the whole limit."""

from typing import Any, cast
from urllib.parse import urlsplit

import structlog
from limits import RateLimitItem
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

log = structlog.get_logger(__name__)

HOW_TO_START = (
    "redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' --appendonly no "
    "--dir /var/lib/redis --logfile /var/log/redis/ci.log"
)


class RedisUnreachable(RuntimeError):
    pass


def shown(url: str) -> str:
    """The URL for a log line or an error message: without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()


class RateLimits:
    def __init__(self, redis_url: str, *, key_prefix: str) -> None:
        self.redis_url = shown(redis_url)
        # `redis://` (one server) or `redis+sentinel://:password@sentinel:26379,…/service` (k8s/data: the
        # Sentinels name the primary, and the next one after a failover).
        sentinel = urlsplit(redis_url).scheme.endswith("+sentinel")
        storage = storage_from_string(
            f"async+{redis_url}",
            implementation="redispy",
            key_prefix=f"{key_prefix}:limits",
            wrap_exceptions=True,
            # A Redis that hangs must not hang every request behind it.
            socket_timeout=1.0,
            socket_connect_timeout=1.0,
            # Counted and read on the primary: a replica's window may lag behind the hits just counted.
            **({"use_replicas": False} if sentinel else {}),
        )
        assert isinstance(storage, RedisStorage)  # RedisSentinelStorage is one
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(self.storage)
        self._storage_down = False

    async def start(self) -> None:
        """Refuses to start without Redis, saying what to do: limits that silently did nothing would be
        found out only by an attacker."""
        if not await self.storage.check():
            raise RedisUnreachable(
                f"Redis is not reachable at {self.redis_url}; the gateway keeps its rate limits there. "
                f"Start it (on this machine: `{HOW_TO_START}`) or point OPSDESK_REDIS_URL at a running one."
            )

    async def close(self) -> None:
        # The redis client sits on limits' bridge, whose type does not declare it (the bridge is backend-specific).
        await cast(Any, self.storage.bridge).storage.aclose()

    async def allow(self, item: RateLimitItem, *identifiers: str) -> bool:
        """One hit against `item` for `identifiers`. While Redis is away the request is let through (and
        the outage logged once): the hotline must keep working, and the sign-in lockout, kept in PostgreSQL,
        still holds."""
        try:
            allowed = await self.limiter.hit(item, *identifiers)
        except StorageError as exc:
            if not self._storage_down:
                log.error("rate_limit_storage_unavailable", redis=self.redis_url, error=repr(exc.storage_error)[:200])
                self._storage_down = True
            return True
        if self._storage_down:
            log.warning("rate_limit_storage_back", redis=self.redis_url)
            self._storage_down = False
        return allowed
