"""`python -m opsdesk_backup restore --from DIR`: every service database back from a dump, into empty
databases (a database that already holds tables is refused, never overwritten).

The broker's contents are not in the dump: at the moment of the dump an event may have been waiting in a
consumer's queue, in one of its retry queues, or dead-lettered. So that none is lost, the restored system
gets back every one of them:

- queued or retrying: every outbox row is published again by the relays when the system starts: those
  never confirmed (still unpublished) and every published row the outbox keeps. The dump cannot tell how
  long a published event sat in a queue (a consumer down for a day holds a day of events), so the oldest
  point it can be sure of is the oldest row kept: OPSDESK_OUTBOX_RETENTION_DAYS, not a fixed few minutes.
  Consumers that had the event already ignore it (their inbox outlives the outbox: settings.py), and the
  inbox's retention clock starts again at the restore, so a dump restored days later is deduplicated too.
- dead-lettered: workers park those in their own database (parked_message, in the dump); the restore
  marks every parked message for requeue, and the workers send them back to their queues when they start.
"""

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from opsdesk_backup.dump import BackupFailed, pg_tool, run_tool, sha256
from opsdesk_backup.settings import SERVICES, BackupSettings
from opsdesk_shared.db import ensure_database
from opsdesk_shared.messaging.parking import REQUEST_REQUEUE


@dataclass(frozen=True)
class Replay:
    """What the restored service sends again when it starts."""

    events: int
    parked: int


async def _is_empty(url: str) -> bool:
    conn = await asyncpg.connect(url)
    try:
        return not await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema'))"
        )
    finally:
        await conn.close()


async def restore(settings: BackupSettings, source: Path) -> dict[str, Replay]:
    """Returns, per service, how many outbox events and parked messages will be published again."""
    if not (source / "manifest.json").is_file():
        raise BackupFailed(f"{source} holds no manifest.json: not a dump made by `opsdesk_backup dump`")
    manifest = json.loads((source / "manifest.json").read_text())
    for service in SERVICES:
        entry = manifest["files"][service]
        if sha256(source / entry["file"]) != entry["sha256"]:
            raise BackupFailed(f"{entry['file']} does not match its checksum in manifest.json")
    for service in SERVICES:
        await ensure_database(settings.database_url, settings.database_for(service))
        if not await _is_empty(settings.url_for(service)):
            raise BackupFailed(f"database {settings.database_for(service)} is not empty: restore into empty ones")
    pg_restore = pg_tool("pg_restore")
    await asyncio.gather(
        *(
            run_tool(
                pg_restore,
                "--no-owner",
                "--exit-on-error",
                str(source / f"{s}.dump"),
                url=settings.url_for(s),
            )
            for s in SERVICES
        )
    )
    return {service: await _prepare_replay(settings.url_for(service)) for service in SERVICES}


async def _prepare_replay(url: str) -> Replay:
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await conn.execute("UPDATE outbox_message SET published_at = NULL WHERE published_at IS NOT NULL")
            events = await conn.fetchval("SELECT count(*) FROM outbox_message")
            await conn.execute("UPDATE inbox_message SET processed_at = now()")
            parked = 0
            if await conn.fetchval("SELECT to_regclass('parked_message') IS NOT NULL"):
                parked = int((await conn.execute(REQUEST_REQUEUE)).split()[-1])
        return Replay(events=events, parked=parked)
    finally:
        await conn.close()
