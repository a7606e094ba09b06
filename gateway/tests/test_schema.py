"""The gateway's typed tables describe the database its migrations build: Alembic's autogenerate finds
nothing to change in them (types, nullability, indexes with their names, unique keys, foreign keys).

Tables the migrations make that no model maps (the outbox and inbox, the audit log's purge records and
checkpoints, queried with plain SQL) are left out of the comparison."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import gateway.admin.models
import gateway.auth.models
import gateway.saved_views.models  # noqa: F401  (the imports register every table on the metadata)
from gateway.base import Base
from gateway.config import GatewaySettings
from opsdesk_shared.testing.plugin import RunEnvironment


def _modelled(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table in Base.metadata.tables


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": _modelled})
    return list(compare_metadata(context, Base.metadata))


async def test_the_models_match_the_migrated_database(migrated: RunEnvironment) -> None:
    engine = create_async_engine(migrated.settings(GatewaySettings).sqlalchemy_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == []
