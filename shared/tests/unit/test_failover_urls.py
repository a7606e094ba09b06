"""OPSDESK_AMQP_URL and OPSDESK_DATABASE_URL name several servers for failover (issue 23)."""

import asyncpg
import pytest
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url

from opsdesk_shared.errors import _is_outage
from opsdesk_shared.settings import ServiceSettings, broker_urls, database_dsn, to_asyncpg_url

MULTI = "postgresql://opsdesk:pw@pg1:5432,pg2:5433?target_session_attrs=read-write"


def test_a_broker_url_list_is_split_and_each_node_checked() -> None:
    urls = "amqp://u:p@mq1:5672/opsdesk, amqp://u:p@mq2:5673/opsdesk,amqp://u:p@mq3:5674/opsdesk"
    assert broker_urls(urls) == [
        "amqp://u:p@mq1:5672/opsdesk",
        "amqp://u:p@mq2:5673/opsdesk",
        "amqp://u:p@mq3:5674/opsdesk",
    ]
    assert ServiceSettings(amqp_url=urls).amqp_url == urls
    assert broker_urls("amqp://guest:guest@127.0.0.1:5672/") == ["amqp://guest:guest@127.0.0.1:5672/"]


@pytest.mark.parametrize("bad", ["", " , ", "amqp://u:p@mq1/,http://mq2/", "mq1:5672", "amqp://u:p@mq1/,amqp:///x"])
def test_a_bad_broker_list_stops_the_process_at_start(bad: str) -> None:
    with pytest.raises(ValidationError) as err:
        ServiceSettings(amqp_url=bad)
    assert "amqp_url" in str(err.value)
    assert "URL" in str(err.value)


def test_a_multi_host_database_url_reaches_asyncpg_and_sqlalchemy_with_its_options() -> None:
    settings = ServiceSettings(database_url=MULTI + "/")
    assert settings.database_url == MULTI
    # Raw asyncpg (relay, wake-ups, listeners) takes libpq's multi-host form as it is.
    assert (
        settings.asyncpg_dsn
        == "postgresql://opsdesk:pw@pg1:5432,pg2:5433/opsdesk_service?target_session_attrs=read-write"
    )
    # SQLAlchemy's asyncpg dialect takes its own multi-host form; the options are passed on to asyncpg.
    dialect = asyncpg_dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy's dialect classes are unannotated
    _, kwargs = dialect.create_connect_args(make_url(settings.sqlalchemy_url))  # type: ignore[no-untyped-call]
    assert kwargs["host"] == ["pg1", "pg2"] and kwargs["port"] == [5432, 5433]
    assert kwargs["target_session_attrs"] == "read-write" and kwargs["database"] == "opsdesk_service"
    assert kwargs["user"] == "opsdesk" and kwargs["password"] == "pw"


def test_a_single_host_url_is_unchanged() -> None:
    url = "postgresql://postgres@127.0.0.1:5432"
    assert database_dsn(url, "opsdesk_intake") == "postgresql://postgres@127.0.0.1:5432/opsdesk_intake"
    assert to_asyncpg_url(url, "opsdesk_intake") == "postgresql+asyncpg://postgres@127.0.0.1:5432/opsdesk_intake"


@pytest.mark.parametrize("bad", ["mysql://h:1", "postgresql://h1:5432/opsdesk_intake", "postgresql://"])
def test_a_database_url_naming_a_database_or_no_server_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        ServiceSettings(database_url=bad)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.ReadOnlySQLTransactionError("cannot execute INSERT in a read-only transaction"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.TargetServerAttributeNotMatched("None of the hosts match 'read-write'"),
        ConnectionRefusedError(111, "Connect call failed"),
    ],
)
def test_failover_errors_are_outages_answered_503(error: BaseException) -> None:
    assert _is_outage(error)
