"""First-start accounts and the demo data set, both idempotent.

`bootstrap_admin`: the bootstrap account holds admin and security_admin until those are handed to named
people (SPEC §1); its password is OPSDESK_ADMIN_PASSWORD or generated and printed once.
`seed_demo`: Beijing's sub-bureaus, some police and floating-population stations, the vendor, and one
user per role, with generated passwords kept in var/demo-credentials.json and printed at every start.
"""

import json
from pathlib import Path
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin import service
from gateway.admin.models import Unit
from gateway.admin.schemas import UnitCreate, UnitKind, UserCreate
from gateway.auth.models import User
from gateway.auth.passwords import generate_password, hash_password
from gateway.config import GatewaySettings
from opsdesk_shared.auth import Role
from opsdesk_shared.db import create_engine, session_factory, unit_of_work

DEMO_UNITS: list[tuple[str, str, UnitKind, str | None]] = [
    ("BJ", "北京市公安局", UnitKind.BUREAU, None),
    ("BJ-DC", "东城分局", UnitKind.SUB_BUREAU, "BJ"),
    ("BJ-XC", "西城分局", UnitKind.SUB_BUREAU, "BJ"),
    ("BJ-CY", "朝阳分局", UnitKind.SUB_BUREAU, "BJ"),
    ("BJ-HD", "海淀分局", UnitKind.SUB_BUREAU, "BJ"),
    ("BJ-FT", "丰台分局", UnitKind.SUB_BUREAU, "BJ"),
    ("BJ-SJS", "石景山分局", UnitKind.SUB_BUREAU, "BJ"),
    ("BJ-TZ", "通州分局", UnitKind.SUB_BUREAU, "BJ"),
    ("BJ-CY-JSG", "建外派出所", UnitKind.POLICE_STATION, "BJ-CY"),
    ("BJ-CY-WJ", "望京派出所", UnitKind.POLICE_STATION, "BJ-CY"),
    ("BJ-CY-LG1", "望京流管站", UnitKind.FLOATING_STATION, "BJ-CY"),
    ("BJ-HD-ZGC", "中关村派出所", UnitKind.POLICE_STATION, "BJ-HD"),
    ("BJ-HD-LG1", "中关村流管站", UnitKind.FLOATING_STATION, "BJ-HD"),
    ("BJ-DC-DHM", "东华门派出所", UnitKind.POLICE_STATION, "BJ-DC"),
    ("VENDOR", "运维服务商", UnitKind.VENDOR, None),
]

# username, display name, roles, unit code, phone
DEMO_USERS: list[tuple[str, str, list[Role], str, str]] = [
    ("operator", "王芳", [Role.HOTLINE_OPERATOR], "VENDOR", "13800010001"),
    ("requester", "李强", [Role.REQUESTER], "BJ-CY-WJ", "13800010002"),
    ("dispatcher", "张伟", [Role.DISPATCHER], "VENDOR", "13800010003"),
    ("engineer", "刘洋", [Role.ENGINEER], "VENDOR", "13800010004"),
    ("engineer2", "陈静", [Role.ENGINEER], "VENDOR", "13800010005"),
    ("supervisor", "赵敏", [Role.SUPERVISOR], "BJ", "13800010006"),
    # The vendor's project manager (乙方项目经理): reviews measures, hears of every SLA breach.
    ("manager", "吴刚", [Role.PROJECT_MANAGER], "VENDOR", "13800010010"),
    ("secadmin", "孙磊", [Role.SECURITY_ADMIN], "VENDOR", "13800010007"),
    ("auditor", "周婷", [Role.AUDITOR], "BJ", "13800010008"),
]


async def bootstrap_admin(session: AsyncSession, settings: GatewaySettings) -> str | None:
    """Create the bootstrap admin if missing; returns the generated password to print, if any."""
    if await session.scalar(select(User.id).where(User.username == settings.admin_username)):
        return None
    supplied = settings.admin_password.get_secret_value() if settings.admin_password else None
    password = supplied or generate_password()
    await service.create_user(
        session,
        None,
        UserCreate(
            username=settings.admin_username,
            password=password,
            display_name="系统管理员",
            roles=[Role.ADMIN, Role.SECURITY_ADMIN],
        ),
        must_change_password=settings.environment == "production",
    )
    return None if supplied else password


async def seed_demo(session: AsyncSession, credentials_file: Path) -> dict[str, str]:
    credentials: dict[str, str] = json.loads(credentials_file.read_text()) if credentials_file.exists() else {}
    codes: dict[str, UUID] = {u.code: u.id for u in (await session.execute(select(Unit))).scalars()}
    for code, name, kind, parent in DEMO_UNITS:
        if code not in codes:
            unit = await service.create_unit(
                session, UnitCreate(code=code, name=name, kind=kind, parent_id=codes[parent] if parent else None)
            )
            codes[code] = unit.id
    for username, display, roles, unit_code, phone in DEMO_USERS:
        existing = (await session.execute(select(User).where(User.username == username))).scalar()
        if existing is not None:
            if username not in credentials:
                # Made by another checkout or before var/ was cleared: give the demo account a password we
                # can print. Demo accounts only; the bootstrap admin's password is never reset here.
                credentials[username] = generate_password()
                existing.password_hash = hash_password(credentials[username])
            continue
        password = credentials.get(username) or generate_password()
        await service.create_user(
            session,
            None,
            UserCreate(
                username=username,
                password=password,
                display_name=display,
                phone=phone,
                roles=roles,
                unit_id=codes[unit_code],
            ),
        )
        credentials[username] = password
    credentials_file.parent.mkdir(parents=True, exist_ok=True)
    credentials_file.write_text(json.dumps(credentials, ensure_ascii=False, indent=2))
    credentials_file.chmod(0o600)
    return credentials


async def run(settings: GatewaySettings, *, demo: bool, credentials_file: Path) -> None:
    if demo and settings.environment == "production":
        raise SystemExit("demo accounts are never created in production (OPSDESK_ENVIRONMENT=production)")
    engine = create_engine(settings)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            admin_password = await bootstrap_admin(session, settings)
            credentials = await seed_demo(session, credentials_file) if demo else {}
            # Everyone the services should know, again: covers a service added since, or a lost queue.
            await service.announce_directory(session)
        if admin_password:
            credentials_file.parent.mkdir(parents=True, exist_ok=True)
            saved = json.loads(credentials_file.read_text()) if credentials_file.exists() else {}
            saved[settings.admin_username] = admin_password
            credentials_file.write_text(json.dumps(saved, ensure_ascii=False, indent=2))
            credentials_file.chmod(0o600)
            print(f"bootstrap administrator '{settings.admin_username}' created; password: {admin_password}")
        elif settings.admin_username not in credentials and settings.admin_password is None:
            print(
                f"bootstrap administrator '{settings.admin_username}' exists; its password was printed when it "
                "was created (or set OPSDESK_ADMIN_PASSWORD before the first start)"
            )
        if credentials:
            print("demo accounts (username / password):")
            for username, password in credentials.items():
                print(f"  {username:<12} {password}")
    finally:
        await engine.dispose()
