"""Whether a service's typed tables describe the database its migrations built: Alembic's autogenerate run
against the migrated database (types, nullability, indexes with their names, unique keys, foreign keys).

Tables the migrations make that no model maps (the outbox and inbox, queried with plain SQL) are left out."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import create_async_engine


async def model_differences(database_url: str, metadata: MetaData) -> list[Any]:
    """What autogenerate would change to make the database match `metadata`: empty when they agree."""

    def modelled(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in metadata.tables

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": modelled})
        return list(compare_metadata(context, metadata))

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(differences)
    finally:
        await engine.dispose()
