"""python -m opsdesk_backup dump --to DIR | restore --from DIR [--replay-minutes N]"""

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from opsdesk_backup.dump import BackupFailed, dump
from opsdesk_backup.restore import restore
from opsdesk_backup.settings import BackupSettings

parser = argparse.ArgumentParser(prog="python -m opsdesk_backup")
sub = parser.add_subparsers(dest="command", required=True)
to = sub.add_parser("dump", help="dump every service database into a new directory")
to.add_argument("--to", type=Path, default=None, help="default var/backups/<UTC time>")
back = sub.add_parser("restore", help="restore every service database from a dump, into empty databases")
back.add_argument("--from", dest="source", type=Path, required=True)
back.add_argument("--replay-minutes", type=float, default=10, help="outbox events to publish again (default 10)")
args = parser.parse_args()
settings = BackupSettings()
try:
    if args.command == "dump":
        target = args.to or Path("var/backups") / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
        print(f"dumped every database to {asyncio.run(dump(settings, target))}")
    else:
        replayed = asyncio.run(restore(settings, args.source, replay_minutes=args.replay_minutes))
        print(f"restored every database from {args.source}; events to publish again: {replayed}")
except BackupFailed as exc:
    print(f"backup: {exc}", file=sys.stderr)
    sys.exit(1)
