"""The gateway's typed tables describe the database its migrations build (opsdesk_shared/testing/schema.py)."""

import gateway.admin.models
import gateway.auth.models
import gateway.saved_views.models  # noqa: F401  (the imports register every table on the metadata)
from gateway.base import Base
from gateway.config import GatewaySettings
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.schema import model_differences


async def test_the_models_match_the_migrated_database(migrated: RunEnvironment) -> None:
    assert await model_differences(migrated.settings(GatewaySettings).sqlalchemy_url, Base.metadata) == []
