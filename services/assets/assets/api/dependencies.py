from typing import Annotated

from fastapi import Depends, Request

from assets.config import AssetsSettings
from assets.training.access import ARRANGERS, SEE_ALL
from opsdesk_shared.auth import Principal, Role, require_roles

# Who keeps the equipment ledger (registers, changes, imports): the desk's administrators and dispatchers.
Keeper = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.DISPATCHER))]
# Who reads it: the vendor's staff and the supervisors all of it, requesters their unit's subtree.
Reader = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.ADMIN,
            Role.DISPATCHER,
            Role.ENGINEER,
            Role.SUPERVISOR,
            Role.PROJECT_MANAGER,
            Role.HOTLINE_OPERATOR,
            Role.REQUESTER,
        )
    ),
]
# Who writes the technical ledger: the keepers and the engineers who configure the equipment.
TechnicalWriter = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.DISPATCHER, Role.ENGINEER))]


def settings(request: Request) -> AssetsSettings:
    current: AssetsSettings = request.app.state.settings
    return current


Settings = Annotated[AssetsSettings, Depends(settings)]
# Who reads it: addresses and versions are the vendor's and the supervisors' business, not a requester's.
TechnicalReader = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.ADMIN, Role.DISPATCHER, Role.ENGINEER, Role.SUPERVISOR, Role.PROJECT_MANAGER, Role.HOTLINE_OPERATOR
        )
    ),
]

# Inspections (巡检): the desk and the vendor's project manager keep the checklists and plans, engineers walk
# the rounds, supervisors read; requesters and the hotline see none of it.
Planner = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.DISPATCHER, Role.PROJECT_MANAGER))]
InspectionReader = Annotated[
    Principal,
    Depends(require_roles(Role.ADMIN, Role.DISPATCHER, Role.ENGINEER, Role.SUPERVISOR, Role.PROJECT_MANAGER)),
]
Walker = Annotated[Principal, Depends(require_roles(Role.ENGINEER))]

# Spare parts (备品备件): the desk and the vendor's project manager keep the catalogue, the stores and the
# stock; engineers issue parts to their own work orders (checked in spares/service.py); supervisors read;
# requesters and the hotline see none of it.
PROJECT_MANAGER = Role.PROJECT_MANAGER
SparesKeeper = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.DISPATCHER, PROJECT_MANAGER))]
SparesIssuer = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.DISPATCHER, PROJECT_MANAGER, Role.ENGINEER))]
SparesReader = Annotated[
    Principal,
    Depends(require_roles(Role.ADMIN, Role.DISPATCHER, PROJECT_MANAGER, Role.ENGINEER, Role.SUPERVISOR)),
]
SparesReportReader = Annotated[
    Principal, Depends(require_roles(Role.ADMIN, Role.DISPATCHER, PROJECT_MANAGER, Role.SUPERVISOR))
]

# Training and user visits: the vendor's staff arrange them (training/access.py); the staff, supervisors and
# the hotline read all of them; any person signed in (not a system client) reaches the rest, which then shows
# them only what concerns their own unit.
Arranger = Annotated[Principal, Depends(require_roles(*ARRANGERS))]
FieldWorkReader = Annotated[Principal, Depends(require_roles(*SEE_ALL))]
Person = Annotated[
    Principal,
    Depends(require_roles(*SEE_ALL, Role.REQUESTER, Role.SECURITY_ADMIN, Role.AUDITOR)),
]

# Improvement measures (改进措施): the vendor's staff propose and take steps (rules.py says which role takes
# which), the bureau's supervisors read and verify; the vendor's project manager reviews.
MeasureReader = Annotated[
    Principal,
    Depends(require_roles(Role.ADMIN, Role.DISPATCHER, Role.ENGINEER, Role.SUPERVISOR, Role.PROJECT_MANAGER)),
]
MeasureProposer = Annotated[Principal, Depends(require_roles(Role.ENGINEER, Role.DISPATCHER, Role.PROJECT_MANAGER))]
MeasureStepTaker = Annotated[
    Principal, Depends(require_roles(Role.ENGINEER, Role.DISPATCHER, Role.PROJECT_MANAGER, Role.SUPERVISOR))
]
