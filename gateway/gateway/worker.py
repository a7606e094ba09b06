"""`python -m gateway worker`: the gateway's background work, apart from the replicas that serve requests.

The outbox relay (users, units and keys as events), audit retention (archive, then purge), the audit chain's
checkpoints and, at start, resealing TOTP secrets under the current key. Every one of them is safe with
several workers (advisory locks and the relay's row claims), and none of them slows a request down.
"""

import asyncio

from gateway import audit_retention
from gateway.admin import audit_verification
from gateway.audit_chain import AuditKey
from gateway.audit_checkpoints import CheckpointStore
from gateway.auth import totp_reseal
from gateway.config import GatewaySettings
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.worker import run_worker


async def run(settings: GatewaySettings, stop: asyncio.Event | None = None) -> None:
    engine = create_engine(settings)
    sessions = session_factory(engine)
    audit_key = AuditKey.load(settings.audit_key_file)
    checkpoints = CheckpointStore(settings.audit_archive_dir, audit_key)

    async def retention(stop: asyncio.Event) -> None:
        await audit_retention.run_daily(
            sessions,
            stop,
            key=audit_key,
            retention_days=settings.audit_retention_days,
            archive_dir=settings.audit_archive_dir,
            interval_s=settings.audit_purge_interval_s,
        )

    async def audit_checkpoints(stop: asyncio.Event) -> None:
        await audit_verification.run_checkpoints(
            sessions, audit_key, checkpoints, stop, interval_s=settings.audit_checkpoint_interval_s
        )

    async def reseal_totp_secrets(stop: asyncio.Event) -> None:
        await totp_reseal.reseal_at_start(
            sessions,
            stop,
            keys=settings.totp_keys(),
            legacy=totp_reseal.legacy_key(settings.jwt_private_key()),
            audit_key=audit_key,
        )

    try:
        await run_worker(settings, sessions, [], tasks=[retention, audit_checkpoints, reseal_totp_secrets], stop=stop)
    finally:
        await engine.dispose()
