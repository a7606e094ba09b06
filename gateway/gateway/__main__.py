"""`python -m gateway api|worker|migrate|bootstrap [--demo]|audit-purge|reseal-totp-secrets|grant-app-role <role>|
`outbox republish --id <event id>|--all|--unroutable`."""

import argparse
import asyncio
import os
from pathlib import Path

import uvicorn

from gateway import audit_retention, bootstrap, database_roles, worker
from gateway.auth import totp_reseal
from gateway.config import GatewaySettings
from opsdesk_shared.cli import add_outbox_command, run_outbox_command
from opsdesk_shared.db import create_engine
from opsdesk_shared.migrations import migrate
from opsdesk_shared.observability import configure_logging

settings = GatewaySettings()
parser = argparse.ArgumentParser(prog="python -m gateway")
sub = parser.add_subparsers(dest="command", required=True)
api = sub.add_parser("api", help="serve the API and web UI")
api.add_argument("--host", default="127.0.0.1")
sub.add_parser("worker", help="the background work: outbox relay, audit retention and checkpoints, TOTP resealing")
sub.add_parser("migrate", help="create the database and upgrade it")
boot = sub.add_parser("bootstrap", help="create the bootstrap admin (and with --demo the demo data)")
boot.add_argument("--demo", action="store_true")
boot.add_argument("--credentials-file", type=Path, default=Path("var/demo-credentials.json"))
sub.add_parser("audit-purge", help="archive and purge audit entries older than OPSDESK_AUDIT_RETENTION_DAYS")
sub.add_parser("reseal-totp-secrets", help="seal every TOTP secret under the first key of OPSDESK_TOTP_KEY_FILE")
grant = sub.add_parser("grant-app-role", help="as the database owner: grant the gateway's login role what it needs")
grant.add_argument("role")
add_outbox_command(sub)
args = parser.parse_args()


async def grant_app_role(role: str) -> None:
    engine = create_engine(settings)
    try:
        async with engine.begin() as conn:
            await database_roles.grant_app_role(conn, role)
    finally:
        await engine.dispose()


if args.command == "api":
    configure_logging("gateway", settings.log_level, settings.log_format)
    uvicorn.run(
        "gateway.main:create_app",
        factory=True,
        host=args.host,
        port=settings.gateway_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        # The app reads X-Forwarded-For itself, from OPSDESK_TRUSTED_PROXIES only (gateway/main.py);
        # uvicorn's own would trust 127.0.0.1 whatever that says, and rewrite the address before the app.
        proxy_headers=False,
    )
elif args.command == "worker":
    configure_logging("gateway", settings.log_level, settings.log_format)
    if settings.worker_nice:  # outbox relay, audit retention and checkpoints: nothing a person waits on
        os.nice(settings.worker_nice)
    asyncio.run(worker.run(settings))
elif args.command == "migrate":
    configure_logging("gateway", settings.log_level, settings.log_format)
    asyncio.run(migrate(settings, "gateway"))
elif args.command == "audit-purge":
    configure_logging("gateway", settings.log_level, settings.log_format)
    print(asyncio.run(audit_retention.purge_now(settings)).model_dump_json())
elif args.command == "reseal-totp-secrets":
    configure_logging("gateway", settings.log_level, settings.log_format)
    print(asyncio.run(totp_reseal.reseal_now(settings)).model_dump_json())
elif args.command == "outbox":
    configure_logging("gateway", settings.log_level, settings.log_format)
    asyncio.run(run_outbox_command(settings, args))
elif args.command == "grant-app-role":
    configure_logging("gateway", settings.log_level, settings.log_format)
    asyncio.run(grant_app_role(args.role))
else:
    configure_logging("gateway", "WARNING", settings.log_format)
    asyncio.run(bootstrap.run(settings, demo=args.demo, credentials_file=args.credentials_file))
