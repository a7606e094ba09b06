"""The one command-line shape of every service: `python -m <service> api|worker|migrate|outbox ...`."""

import argparse
import asyncio
import json
import os
import sys
import uuid
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

import uvicorn

from opsdesk_shared.messaging.parking import request_requeue
from opsdesk_shared.messaging.relay import republish_parked
from opsdesk_shared.observability import configure_logging
from opsdesk_shared.settings import ServiceSettings

# The service's own settings class: its worker and commands take what it passes them.
S = TypeVar("S", bound=ServiceSettings)


def run_cli(
    settings: S,
    *,
    app_factory: str,
    default_port: int,
    worker: Callable[[S], Coroutine[Any, Any, None]] | None,
    migrate: Callable[[S], Coroutine[Any, Any, None]],
    port_env_hint: str,
    commands: Mapping[str, tuple[str, Callable[[S], Coroutine[Any, Any, None]]]] = {},
    worker_may_wait: bool = True,
) -> None:
    """`commands`: a service's own extra commands, name -> (help, coroutine taking the settings).
    `worker_may_wait`: the worker runs at `settings.worker_nice` (False for a worker with deadlines to keep)."""
    parser = argparse.ArgumentParser(prog=f"python -m {settings.service_name}")
    sub = parser.add_subparsers(dest="command", required=True)
    api = sub.add_parser("api", help="serve the HTTP API")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=default_port, help=f"default {default_port} ({port_env_hint})")
    if worker is not None:
        sub.add_parser("worker", help="run consumers, the outbox relay and timers")
        sub.add_parser("requeue-parked", help="send every parked (dead-lettered) message back to its queue")
    sub.add_parser("migrate", help="create the database, upgrade it and declare broker topology")
    add_outbox_command(sub)
    for name, (help_text, _) in commands.items():
        sub.add_parser(name, help=help_text)
    args = parser.parse_args()
    configure_logging(settings.service_name, settings.log_level, settings.log_format, environment=settings.environment)
    if args.command == "api":
        uvicorn.run(
            app_factory,
            factory=True,
            host=args.host,
            port=args.port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=10,
            # Longer than the gateway keeps an idle pooled connection (60 s): the gateway, not this
            # server, closes idle keep-alives, so it never sends a request down a connection being closed.
            timeout_keep_alive=75,
        )
    elif args.command == "worker" and worker is not None:
        if worker_may_wait and settings.worker_nice:
            os.nice(settings.worker_nice)
        asyncio.run(worker(settings))
    elif args.command == "requeue-parked":
        asyncio.run(request_requeue(settings))
    elif args.command == "outbox":
        asyncio.run(run_outbox_command(settings, args))
    elif args.command in commands:
        asyncio.run(commands[args.command][1](settings))
    else:
        asyncio.run(migrate(settings))


def add_outbox_command(sub: Any) -> None:
    """`outbox republish --id <event id> ... | --all | --unroutable`: outbox rows (messaging/relay.py) sent again."""
    outbox = sub.add_parser("outbox", help="the outbox's parked rows").add_subparsers(
        dest="outbox_command", required=True
    )
    republish = outbox.add_parser("republish", help="publish parked outbox rows again, after a fix")
    which = republish.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", dest="ids", type=uuid.UUID, action="append", metavar="EVENT_ID")
    which.add_argument("--all", action="store_true", help="every parked row")
    which.add_argument(
        "--unroutable",
        action="store_true",
        help="the kept events sent as having no subscriber (for a consumer queue declared after them)",
    )


async def run_outbox_command(settings: ServiceSettings, args: argparse.Namespace) -> None:
    republished = await republish_parked(
        settings.asyncpg_dsn, None if args.all else args.ids, unroutable=args.unroutable
    )
    json.dump({"republished": [str(i) for i in republished]}, sys.stdout)
    sys.stdout.write("\n")
    missing = set(args.ids or ()) - set(republished)
    if missing:
        sys.exit(f"not parked (unknown, published or already republished): {', '.join(map(str, sorted(missing)))}")
