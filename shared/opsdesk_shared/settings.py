"""Settings shared by every service, read from the environment (SPEC §8).

Each service subclasses `ServiceSettings`, sets `service_name`, and adds its own fields. Settings are
built once in `create_app(settings)` / the worker entry point and passed down, never read at import.
"""

from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPSDESK_", extra="ignore")

    service_name: ClassVar[str] = "service"

    database_url: str = "postgresql://postgres@127.0.0.1:5432"
    # Each service owns database `<prefix>_<service>`; tests use a prefix of their own per run.
    database_prefix: str = "opsdesk"
    database_pool_size: int = 6  # per process; see opsdesk_shared.db.create_engine
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    public_url: str = "http://127.0.0.1:8000"

    # The gateway signs access tokens with its private key; every service checks them with the public one.
    jwt_public_key_file: Path = Path("var/keys/jwt_public.pem")
    jwt_issuer: str = "opsdesk-gateway"
    # The key phone columns are encrypted with (opsdesk_shared/personal_data.py); never in the database.
    pii_key_file: Path = Path("var/keys/pii.key")
    jwt_audience: str = "opsdesk"

    # Published outbox rows are kept this long, and a restore publishes every one of them again (the dump
    # cannot know which were still queued or retrying in the broker): consumers must remember the events
    # they processed for longer, so that the replay is deduplicated (checked below). That is also far longer
    # than any redelivery window: a consumer's retries wait 1+5+30+120 s in all (topology.py), a broker
    # redelivers an unacked message at once, and a dead-lettered one was never processed (no inbox record).
    # Every worker purges past it, at start and hourly (messaging/retention.py).
    outbox_retention_days: float = Field(default=7, gt=0)
    inbox_retention_days: float = Field(default=14, gt=0)
    # An outbox row the broker refuses waits base * 2^(attempts-1) s (at most max) before its next attempt,
    # and is parked after max_attempts (messaging/relay.py): ~13 min with these defaults.
    outbox_max_attempts: int = Field(default=10, ge=1)
    outbox_retry_base_s: float = Field(default=1.0, gt=0)
    outbox_retry_max_s: float = Field(default=300.0, gt=0)
    # The worker serves its Prometheus metrics (the relay's parked rows among them) on this port; 0: not served.
    worker_metrics_port: int = Field(default=0, ge=0, le=65535)
    # How much lower than the API processes a worker runs (its nice value; 0: the same), so that on a machine
    # whose cores are saturated the answers people wait for come first and the consequences catch up behind
    # them. Dispatch's worker ignores it: its SLA timer must fire on time (opsdesk_shared/cli.py).
    worker_nice: int = Field(default=0, ge=0, le=19)

    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|console)$")
    environment: str = Field(default="development", pattern="^(development|production|test)$")

    @field_validator("database_url")
    @classmethod
    def _server_url_without_database(cls, value: str) -> str:
        return server_url(value)

    @field_validator("amqp_url")
    @classmethod
    def _broker_urls(cls, value: str) -> str:
        broker_urls(value)
        return value

    @model_validator(mode="after")
    def _inbox_outlives_the_replay_window(self) -> "ServiceSettings":
        # A day's margin for clocks and for an event processed a while after it was published.
        if self.inbox_retention_days < self.outbox_retention_days + 1:
            raise ValueError(
                "inbox_retention_days must be at least outbox_retention_days + 1: a restore replays every "
                "outbox row kept, and a consumer that forgot an event would apply it twice"
            )
        return self

    @property
    def database_name(self) -> str:
        return f"{self.database_prefix}_{self.service_name}"

    @property
    def sqlalchemy_url(self) -> str:
        return to_asyncpg_url(self.database_url, self.database_name)

    @property
    def asyncpg_dsn(self) -> str:
        return database_dsn(self.database_url, self.database_name)

    def jwt_public_key(self) -> str:
        try:
            return self.jwt_public_key_file.read_text()
        except FileNotFoundError as exc:
            raise RuntimeError(
                f"JWT public key not found at {self.jwt_public_key_file}; set OPSDESK_JWT_PUBLIC_KEY_FILE "
                "(make run creates a development key pair in var/keys)"
            ) from exc


def broker_urls(amqp_url: str) -> list[str]:
    """The broker nodes `OPSDESK_AMQP_URL` names: one URL, or a cluster's nodes separated by commas
    (messaging/connection.py connects to the first that answers and moves on to the next)."""
    urls = [part.strip() for part in amqp_url.split(",") if part.strip()]
    if not urls:
        raise ValueError("no broker URL: amqp://user:password@host:5672/vhost, or several separated by commas")
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
            raise ValueError(f"not an AMQP URL: {parts.scheme}://{parts.hostname or ''}…")
    return urls


def server_url(value: str) -> str:
    """`OPSDESK_DATABASE_URL`: a server (`postgresql://user@host:port`) or several, for failover
    (`postgresql://user@h1:5432,h2:5432?target_session_attrs=read-write`); never a database, which each
    service appends. Checked here, so that a typo stops the process at start."""
    parts = urlsplit(value)
    if parts.scheme not in ("postgresql", "postgres") or not _hosts(parts.netloc)[1]:
        raise ValueError("a PostgreSQL server URL: postgresql://user@host:port[,host2:port2][?options]")
    if parts.path.strip("/"):
        raise ValueError("a PostgreSQL server URL names no database (each service appends its own)")
    return urlunsplit(parts._replace(path="")).rstrip("/")


def _hosts(netloc: str) -> tuple[str, list[str]]:
    """`user:pw@h1:p1,h2:p2` -> (`user:pw@`, [`h1:p1`, `h2:p2`])."""
    userinfo, _, hosts = netloc.rpartition("@")
    return (f"{userinfo}@" if userinfo else ""), [h for h in hosts.split(",") if h]


def database_dsn(server: str, database: str) -> str:
    """A server URL (one host or several, with its options) and a database -> a libpq/asyncpg DSN."""
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path=f"/{database}"))


def to_asyncpg_url(server: str, database: str) -> str:
    """`postgresql://user@host:port[?opts]` + database -> SQLAlchemy's asyncpg URL. Several hosts become
    SQLAlchemy's multi-host form (`…@/db?host=h1:p1&host=h2:p2`), options such as `target_session_attrs`
    pass on to asyncpg, which tries the hosts in turn and keeps the one that matches."""
    parts = urlsplit(server)
    userinfo, hosts = _hosts(parts.netloc)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if len(hosts) > 1:
        return urlunsplit(
            ("postgresql+asyncpg", userinfo, f"/{database}", urlencode([("host", h) for h in hosts] + query), "")
        )
    return urlunsplit(parts._replace(scheme="postgresql+asyncpg", path=f"/{database}"))
