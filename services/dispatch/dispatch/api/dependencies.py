from typing import Annotated

from fastapi import Depends

from opsdesk_shared.auth import Principal, Role, require_roles

Manager = Annotated[Principal, Depends(require_roles(Role.DISPATCHER, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
Staff = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.DISPATCHER, Role.ADMIN, Role.ENGINEER, Role.SUPERVISOR, Role.PROJECT_MANAGER, Role.HOTLINE_OPERATOR
        )
    ),
]
Overseer = Annotated[
    Principal, Depends(require_roles(Role.DISPATCHER, Role.ADMIN, Role.SUPERVISOR, Role.PROJECT_MANAGER))
]
