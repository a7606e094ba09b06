"""Who reads which SMS (PIPL Art. 6, minimum necessary), decided here, by the service that owns them.

- A business SMS (a `system` client's, `client_id` set: about 3.6 million citizens' messages a year from the
  residence-permit system) is read by the client that sent it, in full, and, for support, by the security
  administrator, masked; they reveal one message at a time with a reason (`POST .../reveal`), which the
  audit log keeps. No staff role reads them: their work is tickets.
- A ticket's SMS (`ticket_id` set) is read by the staff of that ticket. That is intake's rule for tickets
  (`intake/tickets/service.py: visible`): the hotline, dispatchers, engineers, supervisors and admins work
  every ticket, whatever its unit, so no unit is checked here; requesters, who read their unit's tickets, are
  not given the SMS log (escalations in it go to staff's phones). Numbers in full for the roles that contact
  people (opsdesk_shared/privacy.py), masked for supervisors and admins as on the ticket itself.
- Anything else (no ticket, no client) is read by nobody.
"""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.messages.models import SmsMessage, SmsReveal
from opsdesk_shared import privacy
from opsdesk_shared.auth import STAFF_ROLES, Principal, Role
from opsdesk_shared.errors import NotFound
from opsdesk_shared.phones import mask_phone

READER_ROLES = (*STAFF_ROLES, Role.SECURITY_ADMIN, Role.SYSTEM)
# A business SMS's text as the security administrator sees it before a reveal: its words are the citizen's
# business (names, places, dates), not what support needs (status, error, times, template).
MASKED_BODY = "****"


def is_business(message: SmsMessage) -> bool:
    return message.client_id is not None


def readable(principal: Principal) -> Any:
    """The SQL condition on `sms_message` for the rows this caller may read."""
    allowed = []
    if principal.has_any(Role.SYSTEM):
        allowed.append(SmsMessage.client_id == principal.subject)
    if principal.has_any(Role.SECURITY_ADMIN):
        allowed.append(SmsMessage.client_id.is_not(None))
    if principal.has_any(*STAFF_ROLES):
        allowed.append(SmsMessage.ticket_id.is_not(None) & SmsMessage.client_id.is_(None))
    return or_(*allowed) if allowed else false()


def masked_for(principal: Principal, message: SmsMessage) -> bool:
    """Whether this caller, who may read the message, sees its number (and a business SMS's text) masked."""
    if is_business(message):
        return not (principal.has_any(Role.SYSTEM) and message.client_id == principal.subject)
    return not privacy.sees_contacts(principal)


def shown(principal: Principal, message: SmsMessage) -> tuple[str, str, bool]:
    """(to, body, masked) as this caller sees them."""
    if not masked_for(principal, message):
        return message.recipient, message.body, False
    body = MASKED_BODY if is_business(message) else message.body
    return mask_phone(message.recipient), body, True


async def reveal_business(session: AsyncSession, principal: Principal, message_id: UUID, reason: str) -> SmsMessage:
    """A business SMS in full, recorded with who asked and why. Anything else is "not found", as for an id that
    never existed: a ticket's SMS is revealed through its ticket (`POST /api/tickets/{id}/contact`)."""
    message = await session.scalar(
        select(SmsMessage).where(SmsMessage.id == message_id, SmsMessage.client_id.is_not(None))
    )
    if message is None:
        raise NotFound(f"no business SMS {message_id}", code="sms.not_found")
    session.add(
        SmsReveal(
            message_id=message.id,
            actor_id=principal.subject,
            actor_name=principal.username,
            reason=reason,
            at=datetime.now(UTC),
        )
    )
    return message
