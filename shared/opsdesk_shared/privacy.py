"""Who sees a requester's or caller's name and phone number in full (SPEC §2: personal data masked for roles
that need not see it; PIPL's minimum necessary).

People whose work is contacting them (the hotline, dispatchers, engineers on the way, and the requester's
own unit) see them in full. Everyone else who may read a ticket or a call (the bureau's supervisors, the
administrator) sees `张*` and `138****1234`. When one of them has a reason to reach the person, they ask for
that one contact with the reason (`POST /api/tickets/{id}/contact`): the answer is in full, and the request
is recorded in the ticket's timeline and, with its reason, in the audit log.

Finding records by a person's name or number would undo the mask one guess at a time (does 13800138000 have
tickets? which?), so those roles cannot: filtering by a phone number is refused (`refuse_lookup_by`), and
their free-text search leaves the requester's name out.
"""

from opsdesk_shared.auth import Principal, Role
from opsdesk_shared.errors import Forbidden
from opsdesk_shared.phones import mask_phone

CONTACT_ROLES = frozenset({Role.HOTLINE_OPERATOR, Role.DISPATCHER, Role.ENGINEER, Role.REQUESTER})


def sees_contacts(principal: Principal) -> bool:
    return principal.has_any(*CONTACT_ROLES)


def refuse_lookup_by(principal: Principal, field: str) -> None:
    """A 403 problem naming the parameter, not a 422: the value is well formed, and the same request is
    fine from the hotline; it is this role that may not look people up."""
    if not sees_contacts(principal):
        raise Forbidden(
            f"{field}: your role sees personal data masked, so it cannot find records by it; open the ticket and "
            "ask for its contact with a reason (POST /api/tickets/{id}/contact)",
            field=field,
            rule="masked-personal-data",
            code="privacy.masked_search",
        )


def mask_name(name: str) -> str:
    """`张三` -> `张*`, `欧阳娜娜` -> `欧***`: the family name's first character stays, so a supervisor can still
    tell tickets apart; the rest is starred."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    return name[0] + "*" * (len(name) - 1)


def name_for(principal: Principal, name: str | None) -> str | None:
    return name if name is None or sees_contacts(principal) else mask_name(name)


def phone_for(principal: Principal, phone: str | None) -> str | None:
    return phone if phone is None or sees_contacts(principal) else mask_phone(phone)
