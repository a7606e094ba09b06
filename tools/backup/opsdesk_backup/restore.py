"""`python -m opsdesk_backup restore --from DIR`: every service database back from a dump, into empty
databases (a database that already holds tables is refused, never overwritten).

Then every outbox row published in the minutes before the dump started is marked unpublished, so the
relays publish those events again when the system starts: a consumer whose snapshot was taken before it
saw one gets it now, and one that had it already ignores it (inbox, SPEC §3).
"""

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg

from opsdesk_backup.dump import BackupFailed, pg_tool, run_tool, sha256
from opsdesk_backup.settings import SERVICES, BackupSettings
from opsdesk_shared.db import ensure_database


async def _is_empty(url: str) -> bool:
    conn = await asyncpg.connect(url)
    try:
        return not await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema'))"
        )
    finally:
        await conn.close()


async def restore(settings: BackupSettings, source: Path, *, replay_minutes: float = 10) -> dict[str, int]:
    """Returns, per service, how many outbox events will be published again."""
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
    since = datetime.fromisoformat(manifest["started_at"]) - timedelta(minutes=replay_minutes)
    replayed = {}
    for service in SERVICES:
        conn = await asyncpg.connect(settings.url_for(service))
        try:
            status = await conn.execute("UPDATE outbox_message SET published_at = NULL WHERE published_at >= $1", since)
            replayed[service] = int(status.split()[-1])
        finally:
            await conn.close()
    return replayed
