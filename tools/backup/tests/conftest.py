"""Helpers of the backup tests: whole systems of six databases under a prefix of their own, and the CLI."""

import asyncio
import os
import sys

import assets.migrate
import dispatch.migrate
import intake.migrate
import notifications.migrate
import reporting.migrate
from assets.config import AssetsSettings
from dispatch.config import DispatchSettings
from gateway.auth.passwords import generate_password
from gateway.config import GatewaySettings
from intake.config import IntakeSettings
from notifications.config import NotificationsSettings
from opsdesk_backup.settings import SERVICES
from opsdesk_shared.db import drop_database
from opsdesk_shared.migrations import migrate
from opsdesk_shared.testing.plugin import RunEnvironment
from reporting.config import ReportingSettings

PASSWORD = generate_password()
NOWHERE = "http://127.0.0.1:1"


def gateway_settings(env: RunEnvironment, prefix: str) -> GatewaySettings:
    return env.settings(
        GatewaySettings,
        database_prefix=prefix,
        jwt_private_key_file=env.private_key_file,
        admin_password=PASSWORD,
        intake_url=NOWHERE,
        dispatch_url=NOWHERE,
        notifications_url=NOWHERE,
        reporting_url=NOWHERE,
        assets_url=NOWHERE,
    )


async def migrate_every_service(env: RunEnvironment, prefix: str) -> None:
    await migrate(gateway_settings(env, prefix), "gateway")
    for run, cls in (
        (intake.migrate.run, IntakeSettings),
        (dispatch.migrate.run, DispatchSettings),
        (notifications.migrate.run, NotificationsSettings),
        (reporting.migrate.run, ReportingSettings),
        (assets.migrate.run, AssetsSettings),
    ):
        await run(env.settings(cls, database_prefix=prefix))


async def drop_every_database(env: RunEnvironment, *prefixes: str) -> None:
    for prefix in prefixes:
        for service in SERVICES:
            await drop_database(env.servers.database_url, f"{prefix}_{service}")


async def cli(env: RunEnvironment, prefix: str, *args: str, extra_env: dict[str, str] | None = None) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "opsdesk_backup",
        *args,
        env={**os.environ, **env.env(), "OPSDESK_DATABASE_PREFIX": prefix, **(extra_env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode()
