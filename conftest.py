"""Fixtures for the whole repository's tests: this run's databases migrated with every service's
Alembic lineage (`upgrade head`, as production does, never `create_all`)."""

import pytest

import assets.migrate
import dispatch.migrate
import intake.migrate
import notifications.migrate
import reporting.migrate
from assets.config import AssetsSettings
from dispatch.config import DispatchSettings
from gateway.config import GatewaySettings
from intake.config import IntakeSettings
from notifications.config import NotificationsSettings
from opsdesk_shared.migrations import migrate
from opsdesk_shared.testing.plugin import RunEnvironment
from reporting.config import ReportingSettings


@pytest.fixture(scope="session")
async def migrated(opsdesk: RunEnvironment) -> RunEnvironment:
    await migrate(opsdesk.settings(GatewaySettings), "gateway")
    await intake.migrate.run(opsdesk.settings(IntakeSettings))
    await dispatch.migrate.run(opsdesk.settings(DispatchSettings))
    await notifications.migrate.run(opsdesk.settings(NotificationsSettings))
    await reporting.migrate.run(opsdesk.settings(ReportingSettings))
    await assets.migrate.run(opsdesk.settings(AssetsSettings))
    return opsdesk
