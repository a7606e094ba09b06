"""`python -m opsdesk_backup dump --to DIR`: every service database with `pg_dump`, all started at once.

Each dump is a consistent snapshot of its database. The five snapshots are taken within moments of each
other, not at one instant, so an event may be in one service's outbox and not yet in its consumer's
database, or still in the broker (queued, retrying); the restore heals that by publishing every outbox row
kept again, which consumers absorb idempotently, and by requeueing the dead-lettered messages the workers
parked in their databases (restore.py). `manifest.json` records when, what and each file's SHA-256.

The dumps hold every account's password hash and every phone number: the directory is 0700 and each file
0600 from the moment it exists. The database password goes to pg_dump in its environment (PGPASSWORD,
readable only by the same user) and never on its command line, which any local user can read.
"""

import asyncio
import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from opsdesk_backup.settings import SERVICES, BackupSettings


class BackupFailed(RuntimeError):
    pass


def pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupFailed(f"{name} not found: install PostgreSQL's client tools (Debian: postgresql-client)")
    return path


def split_password(url: str) -> tuple[str, str | None]:
    """A libpq URL without its password, and the password (percent-decoded), which goes in the environment."""
    parts = urlsplit(url)
    if parts.password is None:
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}")), unquote(parts.password)


def connection_args(url: str) -> tuple[str, dict[str, str]]:
    """`--dbname=<url without password>` and the environment the tool runs with."""
    bare, password = split_password(url)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    return f"--dbname={bare}", env


def private_file(path: Path) -> Path:
    """Creates the file empty with mode 0600 (whatever the umask), so its contents are never readable by others."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    path.chmod(0o600)
    return path


async def run_tool(*argv: str, url: str) -> None:
    dbname, env = connection_args(url)
    proc = await asyncio.create_subprocess_exec(
        *argv, dbname, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
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
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    target.mkdir(mode=0o700, exist_ok=False)
    target.chmod(0o700)  # mkdir's mode is filtered through the umask; this one is not
    started = datetime.now(UTC)
    pg_dump = pg_tool("pg_dump")
    await asyncio.gather(
        *(
            run_tool(
                pg_dump,
                "--format=custom",
                "--no-owner",
                f"--file={private_file(target / f'{s}.dump')}",
                url=settings.url_for(s),
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
    private_file(target / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return target
