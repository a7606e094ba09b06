"""Dispatch's typed tables describe the database its migrations build (opsdesk_shared/testing/schema.py)."""

import dispatch.directory.models
import dispatch.duty.models
import dispatch.sla.models
import dispatch.workorders.models  # noqa: F401  (the imports register every table on the metadata)
from dispatch.base import Base
from dispatch.config import DispatchSettings
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.schema import model_differences


async def test_the_models_match_the_migrated_database(migrated: RunEnvironment) -> None:
    assert await model_differences(migrated.settings(DispatchSettings).sqlalchemy_url, Base.metadata) == []
