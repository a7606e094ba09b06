"""`python -m opsdesk_backup dump --to DIR`: every service database with `pg_dump`, all started at once.

Each dump is a consistent snapshot of its database. The five snapshots are taken within moments of each
other, not at one instant, so an event may be in one service's outbox and not yet in its consumer's
database; the restore heals that by publishing the last minutes of every outbox again, which consumers
absorb idempotently (restore.py). `manifest.json` records when, what and each file's SHA-256.
"""

import asyncio
import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from opsdesk_backup.settings import SERVICES, BackupSettings


class BackupFailed(RuntimeError):
    pass


def pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupFailed(f"{name} not found: install PostgreSQL's client tools (Debian: postgresql-client)")
    return path


async def run_tool(*argv: str) -> None:
    proc = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise BackupFailed(f"{Path(argv[0]).name} failed: {err.decode(errors='replace').strip()[-800:]}")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


async def dump(settings: BackupSettings, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=False)
    started = datetime.now(UTC)
    pg_dump = pg_tool("pg_dump")
    await asyncio.gather(
        *(
            run_tool(
                pg_dump,
                "--format=custom",
                "--no-owner",
                f"--file={target / f'{s}.dump'}",
                f"--dbname={settings.url_for(s)}",
            )
            for s in SERVICES
        )
    )
    manifest = {
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "database_prefix": settings.database_prefix,
        "files": {s: {"file": f"{s}.dump", "sha256": sha256(target / f"{s}.dump")} for s in SERVICES},
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return target
