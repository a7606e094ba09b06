"""`make run` checks the servers the system needs before starting anything, and says plainly what is missing
and how to start it."""

import pytest

from devstack.setup import ServerUnreachable, check_servers
from opsdesk_shared.testing.plugin import RunEnvironment


async def test_make_run_says_plainly_that_redis_is_missing_and_how_to_start_it(opsdesk: RunEnvironment) -> None:
    with pytest.raises(ServerUnreachable) as missing:
        await check_servers(opsdesk.servers.database_url, opsdesk.amqp_url, "redis://127.0.0.1:1/0")
    message = str(missing.value)
    assert message.startswith("Redis is not reachable at redis://127.0.0.1:1/0")
    assert "redis-server --daemonize yes" in message and "OPSDESK_REDIS_URL" in message
    assert "PostgreSQL" not in message and "RabbitMQ" not in message  # those are up


async def test_a_password_in_the_redis_url_is_not_printed(opsdesk: RunEnvironment) -> None:
    with pytest.raises(ServerUnreachable) as missing:
        await check_servers(opsdesk.servers.database_url, opsdesk.amqp_url, "redis://:s3cret-pw@127.0.0.1:1/0")
    assert "s3cret-pw" not in str(missing.value) and "redis://:***@127.0.0.1:1/0" in str(missing.value)
