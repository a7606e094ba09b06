from typing import Annotated

from fastapi import Depends, Request

from assets.config import AssetsSettings
from opsdesk_shared.auth import Principal, Role, require_roles

# Who keeps the equipment ledger (registers, changes, imports): the desk's administrators and dispatchers.
Keeper = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.DISPATCHER))]
# Who reads it: the vendor's staff and the supervisors all of it, requesters their unit's subtree.
Reader = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.ADMIN, Role.DISPATCHER, Role.ENGINEER, Role.SUPERVISOR, Role.HOTLINE_OPERATOR, Role.REQUESTER
        )
    ),
]
# Who writes the technical ledger: the keepers and the engineers who configure the equipment.
TechnicalWriter = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.DISPATCHER, Role.ENGINEER))]


def settings(request: Request) -> AssetsSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


Settings = Annotated[AssetsSettings, Depends(settings)]
# Who reads it: addresses and versions are the vendor's and the supervisors' business, not a requester's.
TechnicalReader = Annotated[
    Principal,
    Depends(require_roles(Role.ADMIN, Role.DISPATCHER, Role.ENGINEER, Role.SUPERVISOR, Role.HOTLINE_OPERATOR)),
]
