"""Notifications' typed tables describe the database its migrations build: Alembic's autogenerate finds
nothing to change (types, nullability, indexes with their names and conditions, foreign keys)."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import notifications.business.models
import notifications.inbound.models
import notifications.messages.models
import notifications.rules.models  # noqa: F401  (the imports register every table on the metadata)
from notifications.base import Base
from notifications.config import NotificationsSettings
from opsdesk_shared.testing.plugin import RunEnvironment

# Created by the migrations through opsdesk_shared.messaging.tables, queried with plain SQL: no model.
MESSAGING_TABLES = {"outbox_message", "inbox_message", "parked_message", "stale_event", "alembic_version"}


def _ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table not in MESSAGING_TABLES


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": _ours})
    return list(compare_metadata(context, Base.metadata))


async def test_the_models_match_the_migrated_database(migrated: RunEnvironment) -> None:
    engine = create_async_engine(migrated.settings(NotificationsSettings).sqlalchemy_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == []
