"""Finding PostgreSQL and RabbitMQ for a test run.

Order: the servers named by OPSDESK_TEST_DATABASE_URL / OPSDESK_TEST_AMQP_URL, else the local defaults;
when those cannot be reached and a Docker engine can, testcontainers starts them; otherwise the run
fails saying what is missing (tests never skip for a missing server).
"""

import asyncio
import shutil
import subprocess
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import asyncpg
import httpx

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


@dataclass
class Servers:
    database_url: str
    amqp_url: str  # the server, default vhost
    management_url: str | None = None
    containers: list[Any] = field(default_factory=list)

    def amqp_url_for(self, vhost: str) -> str:
        parsed = urllib.parse.urlsplit(self.amqp_url)
        return urllib.parse.urlunsplit(parsed._replace(path="/" + urllib.parse.quote(vhost, safe="")))


async def _postgres_ok(url: str) -> str | None:
    try:
        conn = await asyncpg.connect(f"{url.rstrip('/')}/postgres", timeout=5)
        await conn.close()
        return None
    except Exception as exc:  # any failure means "not usable", reported verbatim
        return f"{type(exc).__name__}: {exc}"


async def _rabbit_ok(url: str) -> str | None:
    try:
        conn = await aio_pika.connect(url, timeout=5)
        await conn.close()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:
        return False


def locate(database_url: str, amqp_url: str, management_url: str | None) -> Servers:
    pg_error = asyncio.run(_postgres_ok(database_url))
    mq_error = asyncio.run(_rabbit_ok(amqp_url))
    if pg_error is None and mq_error is None:
        return Servers(database_url, amqp_url, management_url)
    if _docker_available():
        return _start_containers(database_url if pg_error is None else None, amqp_url if mq_error is None else None)
    missing = []
    if pg_error:
        missing.append(
            f"PostgreSQL at {database_url} ({pg_error}); set OPSDESK_TEST_DATABASE_URL or start it: "
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        )
    if mq_error:
        missing.append(
            f"RabbitMQ at {amqp_url} ({mq_error}); set OPSDESK_TEST_AMQP_URL or start it: rabbitmq-server -detached"
        )
    raise RuntimeError(
        "the tests need real servers and no Docker engine is available to start them:\n  " + "\n  ".join(missing)
    )


def _start_containers(database_url: str | None, amqp_url: str | None) -> Servers:
    containers: list[Any] = []
    if database_url is None:
        from testcontainers.postgres import PostgresContainer

        pg = PostgresContainer("postgres:15", username="postgres", password="postgres", driver=None).start()
        containers.append(pg)
        database_url = f"postgresql://postgres:postgres@{pg.get_container_host_ip()}:{pg.get_exposed_port(5432)}"
    management_url = None
    if amqp_url is None:
        from testcontainers.rabbitmq import RabbitMqContainer

        mq = RabbitMqContainer("rabbitmq:3.10-management").with_exposed_ports(5672, 15672).start()
        containers.append(mq)
        host = mq.get_container_host_ip()
        amqp_url = f"amqp://guest:guest@{host}:{mq.get_exposed_port(5672)}/"
        management_url = f"http://guest:guest@{host}:{mq.get_exposed_port(15672)}"
    return Servers(database_url, amqp_url, management_url, containers)


class VhostAdmin:
    """Creates and deletes a vhost: through the management API when it answers, else rabbitmqctl."""

    def __init__(self, servers: Servers) -> None:
        parsed = urllib.parse.urlsplit(servers.amqp_url)
        self.user = urllib.parse.unquote(parsed.username or "guest")
        self.password = urllib.parse.unquote(parsed.password or "guest")
        self.management_url = servers.management_url or f"http://{parsed.hostname}:15672"
        self.local = parsed.hostname in ("127.0.0.1", "localhost", "::1")

    def _api(self, method: str, path: str, json: Any = None) -> bool:
        try:
            resp = httpx.request(
                method, self.management_url.rstrip("/") + path, json=json, auth=(self.user, self.password), timeout=5
            )
            return resp.status_code < 300
        except httpx.HTTPError:
            return False

    def _ctl(self, *args: str) -> None:
        if not (self.local and shutil.which("rabbitmqctl")):
            raise RuntimeError(
                "cannot create a RabbitMQ vhost: enable the management plugin "
                "(rabbitmq-plugins enable rabbitmq_management) or run the tests on the broker's host"
            )
        subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)

    def create(self, vhost: str) -> None:
        quoted = urllib.parse.quote(vhost, safe="")
        if self._api("PUT", f"/api/vhosts/{quoted}"):
            self._api(
                "PUT",
                f"/api/permissions/{quoted}/{urllib.parse.quote(self.user)}",
                {"configure": ".*", "write": ".*", "read": ".*"},
            )
            return
        self._ctl("add_vhost", vhost)
        self._ctl("set_permissions", "-p", vhost, self.user, ".*", ".*", ".*")

    def delete(self, vhost: str) -> None:
        if not self._api("DELETE", f"/api/vhosts/{urllib.parse.quote(vhost, safe='')}"):
            try:
                self._ctl("delete_vhost", vhost)
            except (RuntimeError, subprocess.SubprocessError):
                pass
