"""The one-time step of moving the project manager from dispatch's old flag to the gateway's role: who held
the flag (kept by migration dispatch_0011) and does not hold the role yet, as dispatch last heard from the
gateway. An administrator grants them `project_manager` in the gateway (the user form, or
`PATCH /api/admin/users/{id}`); the gateway's `user.updated` brings the role here, and they drop off the list."""

import sys
from typing import TextIO

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.config import DispatchSettings
from dispatch.directory.models import ProjectManagerHandover, StaffMember
from opsdesk_shared.auth import Role
from opsdesk_shared.db import create_engine, session_factory


async def pending(session: AsyncSession) -> list[tuple[str, str]]:
    h = ProjectManagerHandover
    query = (
        select(h.username, h.display_name)
        .outerjoin(StaffMember, StaffMember.user_id == h.user_id)
        .where(or_(StaffMember.user_id.is_(None), ~StaffMember.roles.contains([Role.PROJECT_MANAGER.value])))
        .order_by(h.username)
    )
    return [(username, display_name) for username, display_name in await session.execute(query)]


async def print_pending(settings: DispatchSettings, out: TextIO = sys.stdout) -> None:
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as session:
            for username, display_name in await pending(session):
                out.write(f"{username}\t{display_name}\n")
    finally:
        await engine.dispose()
