"""A Redis client from OPSDESK_REDIS_URL: `redis://` (one server) or `redis+sentinel://[:password@]host:port,
…/service` (k8s/data: the Sentinels name the primary, and the next one after a failover), the URL forms the
rate limits' library reads too, so one setting serves both."""

from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.asyncio.sentinel import Sentinel

SENTINEL_PORT = 26379


def redis_client(url: str, **options: Any) -> Redis:
    parts = urlsplit(url)
    if not parts.scheme.endswith("+sentinel"):
        return Redis.from_url(url, **options)
    password = parts.password or None
    hosts = []
    for host in parts.netloc.rsplit("@", 1)[-1].split(","):
        name, _, port = host.rpartition(":") if ":" in host else (host, "", "")
        hosts.append((name, int(port) if port else SENTINEL_PORT))
    service = parts.path.strip("/").split("/")[0]
    # redis-py's Sentinel is untyped; `master_for` gives a client of the primary, found again after a failover.
    sentinels = Sentinel(  # type: ignore[no-untyped-call]
        hosts, sentinel_kwargs={"password": password, **options}, password=password, **options
    )
    primary: Redis = sentinels.master_for(service)
    return primary
