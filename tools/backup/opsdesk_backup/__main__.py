"""python -m opsdesk_backup dump --to DIR | restore --from DIR"""

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
args = parser.parse_args()
settings = BackupSettings()
try:
    if args.command == "dump":
        target = args.to or Path("var/backups") / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
        print(f"dumped every database to {asyncio.run(dump(settings, target))}")
    else:
        replays = asyncio.run(restore(settings, args.source))
        print(f"restored every database from {args.source}; to publish again when the system starts:")
        for service, replay in replays.items():
            print(f"  {service}: {replay.events} outbox events, {replay.parked} parked messages")
except BackupFailed as exc:
    print(f"backup: {exc}", file=sys.stderr)
    sys.exit(1)
