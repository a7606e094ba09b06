"""Running a service's Alembic lineage against its own database.

Every service keeps `alembic.ini`-free migrations in `<package>/migrations`; `migrate(settings, package)`
creates the database if needed and upgrades it to head. `run_env(metadata)` is the body of each
service's `migrations/env.py`.
"""

import asyncio
from importlib import resources

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from opsdesk_shared import personal_data
from opsdesk_shared.db import ensure_database
from opsdesk_shared.settings import ServiceSettings


def alembic_config(settings: ServiceSettings, package: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files(package) / "migrations"))
    config.set_main_option("sqlalchemy.url", settings.sqlalchemy_url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    return config


async def migrate(settings: ServiceSettings, package: str) -> None:
    """Create the service's database if missing and upgrade it to head (idempotent)."""
    await ensure_database(settings.database_url, settings.database_name)
    personal_data.configure(settings.pii_key_file)  # data migrations encrypt existing phone numbers
    config = alembic_config(settings, package)
    # A data migration that needs a key of the service's own settings finds them here (gateway_0009).
    config.attributes["settings"] = settings
    # Alembic's command API is synchronous and env.py runs its own event loop: keep it off ours.
    await asyncio.to_thread(command.upgrade, config, "head")


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's env.py: online migrations over asyncpg."""
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic config has no sqlalchemy.url: run migrations through `python -m <service> migrate`")

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run_async())
