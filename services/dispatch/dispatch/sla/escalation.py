"""Who must hear of a clock's warning or breach (SPEC §5): the warning goes to the dispatchers on duty,
the breach to every dispatcher, the vendor's project manager and the bureau's supervisors. Who holds which role
is the gateway's word, learned from its `user.*` events (directory/service.py): the project manager is whoever
holds the `project_manager` role now. The events carry the names and phones so notifications can send SMS
without asking anybody."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.directory.models import StaffMember
from dispatch.duty.service import on_duty_user_ids
from opsdesk_shared.auth import Role
from opsdesk_shared.contracts.dispatch import Recipient

WARNING_ROLES = [Role.DISPATCHER.value]
BREACH_ROLES = [Role.DISPATCHER.value, Role.PROJECT_MANAGER.value, Role.SUPERVISOR.value]


def _recipient(member: StaffMember, reason: str) -> Recipient:
    return Recipient(user_id=member.user_id, display_name=member.display_name, phone=member.phone, reason=reason)


async def _active_with_role(session: AsyncSession, role: str) -> list[StaffMember]:
    rows = await session.execute(
        select(StaffMember)
        .where(StaffMember.is_active.is_(True), StaffMember.roles.contains([role]))
        .order_by(StaffMember.username)
    )
    return list(rows.scalars())


async def warning_recipients(session: AsyncSession, now: datetime) -> list[Recipient]:
    dispatchers = await _active_with_role(session, Role.DISPATCHER.value)
    on_duty = await on_duty_user_ids(session, now)
    chosen = [d for d in dispatchers if d.user_id in on_duty]
    if chosen:
        return [_recipient(d, "on_duty_dispatcher") for d in chosen]
    # Nobody on the roster right now: a warning nobody hears is worse than one too many.
    return [_recipient(d, "dispatcher_no_one_on_duty") for d in dispatchers]


async def breach_recipients(session: AsyncSession) -> list[Recipient]:
    rows = await session.execute(
        select(StaffMember)
        .where(StaffMember.is_active.is_(True), StaffMember.roles.overlap(BREACH_ROLES))
        .order_by(StaffMember.username)
    )
    recipients = []
    for member in rows.scalars():
        # One message each, under the reason that matters most (a project manager who also dispatches hears
        # it as the project manager).
        if Role.PROJECT_MANAGER.value in member.roles:
            recipients.append(_recipient(member, "project_manager"))
        elif Role.DISPATCHER.value in member.roles:
            recipients.append(_recipient(member, "dispatcher"))
        else:
            recipients.append(_recipient(member, "supervisor"))
    return recipients
