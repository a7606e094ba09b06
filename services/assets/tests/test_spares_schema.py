"""The spare-parts tables (and the users assets keeps) as modelled are the ones assets_0005 builds
(opsdesk_shared/testing/schema.py)."""

from sqlalchemy import MetaData

import assets.directory.models
import assets.spares.models  # noqa: F401  (the imports register the tables on the metadata)
from assets.config import AssetsSettings
from assets.db import Base
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.schema import model_differences

TABLES = (
    "directory_user",
    "spare_part",
    "spare_store",
    "spare_stock",
    "spare_movement",
    "spare_work_order",
    "spare_reconciliation",
)


async def test_the_spares_models_match_the_migrated_database(migrated: RunEnvironment) -> None:
    spares = MetaData(naming_convention=Base.metadata.naming_convention)
    for name in TABLES:
        Base.metadata.tables[name].to_metadata(spares)
    assert await model_differences(migrated.settings(AssetsSettings).sqlalchemy_url, spares) == []
