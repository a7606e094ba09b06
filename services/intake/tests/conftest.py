from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from intake.config import IntakeSettings
from intake.main import create_app
from opsdesk_shared.testing.plugin import RunEnvironment


@pytest.fixture(scope="session")
async def intake_client(migrated: RunEnvironment) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(migrated.settings(IntakeSettings))
    async with LifespanManager(app) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://intake") as c:
            yield c
