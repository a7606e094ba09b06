"""What the role the gateway logs in as may do in its database, granted by the role that owns it.

In production the gateway's tables belong to an owner role that migrations run as (`python -m gateway
migrate` with the owner's credentials) and no service logs in as. The gateway's API and worker log in as an
application role that gets, from `python -m gateway grant-app-role <role>` (run as the owner after every
migration), reading and writing its business tables and, on the audit tables, only:

- `audit_log`: SELECT, INSERT, and DELETE for retention's purge, which the append-only trigger confines to
  entries past 180 days inside a purge (and verification reports any purge not signed with the audit key);
- `audit_log_purge`: SELECT, INSERT; `audit_chain_head`: SELECT, UPDATE (the append moves the head).

Not being the owner, the application role cannot disable the triggers, alter or drop the tables, or TRUNCATE.
"""

import re

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

AUDIT_TABLES = ("audit_log", "audit_log_purge", "audit_chain_head", "alembic_version")
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def app_role_grants(role: str) -> list[str]:
    if not _ROLE_NAME.match(role):
        raise ValueError(f"{role!r} is not a plain role name (lower case letters, digits, underscores)")
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE ALL ON {', '.join(AUDIT_TABLES)} FROM {role}",
        f"GRANT SELECT, INSERT, DELETE ON audit_log TO {role}",
        f"GRANT SELECT, INSERT ON audit_log_purge TO {role}",
        f"GRANT SELECT, UPDATE ON audit_chain_head TO {role}",
        f"GRANT SELECT ON alembic_version TO {role}",
    ]


async def grant_app_role(conn: AsyncConnection, role: str) -> None:
    for statement in app_role_grants(role):
        await conn.execute(text(statement))
