"""Notifications' typed tables describe the database its migrations build (opsdesk_shared/testing/schema.py)."""

import notifications.business.models
import notifications.inbound.models
import notifications.messages.models
import notifications.rules.models  # noqa: F401  (the imports register every table on the metadata)
from notifications.base import Base
from notifications.config import NotificationsSettings
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.schema import model_differences


async def test_the_models_match_the_migrated_database(migrated: RunEnvironment) -> None:
    assert await model_differences(migrated.settings(NotificationsSettings).sqlalchemy_url, Base.metadata) == []
