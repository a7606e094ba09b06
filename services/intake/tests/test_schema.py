"""Intake's typed tables describe the database its migrations build (opsdesk_shared/testing/schema.py)."""

import intake.attachments.models
import intake.calls.models
import intake.canned_replies.models
import intake.directory.models
import intake.findings.models
import intake.knowledge.models
import intake.ledger.models
import intake.monitoring.models
import intake.tickets.models  # noqa: F401  (the imports register every table on the metadata)
from intake.base import Base
from intake.config import IntakeSettings
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.schema import model_differences


async def test_the_models_match_the_migrated_database(migrated: RunEnvironment) -> None:
    assert await model_differences(migrated.settings(IntakeSettings).sqlalchemy_url, Base.metadata) == []
