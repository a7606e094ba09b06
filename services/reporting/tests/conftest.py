"""Reporting under test: its API in-process over ASGI and its worker on real RabbitMQ."""

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import running_worker
from reporting.config import ReportingSettings
from reporting.main import create_app
from reporting.messaging.consumers import SUBSCRIPTIONS

from .support.harness import Reporting


# Module scope: a worker left running in this process would hold events the end-to-end tests' real
# reporting worker needs while synchronous tests block the loop.
@pytest.fixture(scope="module")
async def reporting(migrated: RunEnvironment) -> AsyncIterator[Reporting]:
    settings = migrated.settings(ReportingSettings)
    engine = create_engine(settings)
    app = create_app(settings)
    async with running_worker(settings, session_factory(engine), SUBSCRIPTIONS), LifespanManager(app) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://r") as client:
            yield Reporting(client, migrated, settings)
    await engine.dispose()
