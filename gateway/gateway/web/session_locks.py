"""Which web sessions are locked, kept by the server (Redis, shared by every gateway replica).

The session itself lives in the browser's cookie, and every answer sets the cookie again. So a request the
page sent before the lock (a live refresh, a fragment, a stream reconnecting), answered after it, set the
unlocked cookie back: the console reopened without a password, and the lock screen's stream, taking it for
open, sent caller cards it ignores instead of counting the calls. Now the lock is recorded under the
session's own id (`WebSession.sid`, one per sign-in) for the session's whole lifetime, and every request
reads it: a cookie from before the lock is locked too. Unlocking is a fresh sign-in, a new id.

If Redis is away, the cookie alone decides, as before, and the outage is logged once."""

import structlog
from redis.exceptions import RedisError

from gateway.redis_client import redis_client

log = structlog.get_logger(__name__)


class SessionLocks:
    def __init__(self, redis_url: str, *, key_prefix: str, ttl_s: int) -> None:
        # A Redis that hangs must not hang every page behind it.
        self.redis = redis_client(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self.prefix = f"{key_prefix}:web-lock:"
        self.ttl_s = ttl_s
        self._down = False

    async def lock(self, sid: str, at: float) -> None:
        """Records the lock (the first instant is kept); it lasts as long as a session may."""
        try:
            await self.redis.set(self.prefix + sid, repr(at), ex=self.ttl_s, nx=True)
            self._up()
        except RedisError as exc:
            self._report(exc)

    async def locked_at(self, sid: str) -> float | None:
        try:
            value = await self.redis.get(self.prefix + sid)
            self._up()
        except RedisError as exc:
            self._report(exc)
            return None
        return float(value) if value is not None else None

    async def close(self) -> None:
        await self.redis.aclose()

    def _report(self, exc: RedisError) -> None:
        if not self._down:
            self._down = True
            log.error("session_locks_unavailable", error=repr(exc)[:200])

    def _up(self) -> None:
        if self._down:
            self._down = False
            log.warning("session_locks_back")
