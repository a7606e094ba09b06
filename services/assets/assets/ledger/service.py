"""The equipment ledger's rules: registering, changing and finding assets, and the events they announce."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, Select, Text, and_, false, func, select, true
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from assets.directory import service as directory
from assets.directory.models import Unit
from assets.ledger.models import Asset, StatusChange
from assets.ledger.schemas import (
    REQUIRED_FIELDS,
    AssetCreate,
    AssetFilter,
    AssetPatch,
    StatusChangeIn,
)
from opsdesk_shared import audit_trail
from opsdesk_shared.auth import STAFF_ROLES, Principal, Role
from opsdesk_shared.contracts.assets import AssetChanged, AssetRegistered, AssetStatusChanged, AssetUpdated
from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.contracts.vocabulary import AssetStatus
from opsdesk_shared.errors import Conflict, Forbidden, NotFound, RuleViolation
from opsdesk_shared.messaging.outbox import add_event, add_events

PRODUCER = "assets"
# Who keeps the ledger; engineers keep the technical ledger (technical/service.py); staff read it all.
KEEPERS = (Role.ADMIN, Role.DISPATCHER)
EVENT_FIELDS = tuple(f for f in AssetChanged.model_fields if f not in ("asset_id", "aggregate_version"))


async def announce(session: AsyncSession, event: Event, batch: list[Event] | None) -> None:
    """Into the outbox now, or into `batch` for the caller to add at once (an import: one statement, not
    thousands of round trips)."""
    if batch is None:
        await add_event(session, event, producer=PRODUCER)
    else:
        batch.append(event)


async def announce_batch(session: AsyncSession, batch: list[Event]) -> None:
    await add_events(session, batch, producer=PRODUCER)


def now() -> datetime:
    return datetime.now(UTC)


def may_keep(principal: Principal) -> bool:
    return principal.has_any(*KEEPERS)


def visible(principal: Principal) -> Any:
    """Staff see every asset; a requester their unit's subtree; anyone else (auditor, system…) none."""
    if principal.has_any(*STAFF_ROLES):
        return true()
    if principal.has_any(Role.REQUESTER) and principal.unit_id is not None:
        return Asset.unit_path.contains([principal.unit_id])
    return false()


def require_reader(principal: Principal) -> None:
    if not principal.has_any(*STAFF_ROLES, Role.REQUESTER):
        raise Forbidden("the equipment ledger is for the desk, the engineers, the supervisors and requesters")


def require_keeper(principal: Principal) -> None:
    if not may_keep(principal):
        raise Forbidden("only administrators and dispatchers keep the equipment ledger", rule="ledger-keepers")


async def unit_for(session: AsyncSession, unit_id: UUID, *, field: str = "unit_id") -> Unit:
    unit = await directory.get(session, unit_id)
    if unit is None:
        raise RuleViolation(
            f"no unit {unit_id}: units arrive from the gateway's events, so one created a moment ago may not be "
            "known here yet; retry shortly",
            field=field,
        )
    return unit


def changed_event(asset: Asset, cls: type[AssetRegistered] | type[AssetUpdated], **extra: Any) -> AssetChanged:
    return cls(
        asset_id=asset.id,
        aggregate_version=asset.version,
        **{f: getattr(asset, f) for f in EVENT_FIELDS},
        **extra,
    )


async def _tag_taken(session: AsyncSession, tag: str) -> bool:
    return await session.scalar(select(Asset.id).where(Asset.tag == tag)) is not None


def off_site_without_approval() -> RuleViolation:
    return RuleViolation(
        "equipment leaves the bureau's premises only with a recorded approval: give approval_ref", field="approval_ref"
    )


def tag_conflict(tag: str) -> Conflict:
    return Conflict(f"asset tag {tag} is already in the ledger", field="tag", rule="unique-tag")


async def register(
    session: AsyncSession,
    principal: Principal,
    cmd: AssetCreate,
    *,
    unit: Unit | None = None,
    at: datetime | None = None,
    checked: bool = False,
    batch: list[Event] | None = None,
) -> Asset:
    """`checked`: the caller has looked the tag up already and will flush (an import of many rows); `batch`:
    see `announce`."""
    if not checked and await _tag_taken(session, cmd.tag):
        raise tag_conflict(cmd.tag)
    if cmd.status == AssetStatus.OFF_SITE and not cmd.approval_ref:
        raise off_site_without_approval()
    unit = unit or await unit_for(session, cmd.unit_id)
    at = at or now()
    asset = Asset(
        id=uuid4(),
        **cmd.model_dump(exclude={"approval_ref"}),
        unit_path=list(unit.path) or [unit.id],
        version=1,
        created_at=at,
        created_by=principal.subject,
        updated_at=at,
        updated_by=principal.subject,
    )
    session.add(asset)
    session.add(
        StatusChange(
            asset_id=asset.id,
            from_status=None,
            to_status=asset.status,
            reason="登记入账",
            approval_ref=cmd.approval_ref,
            changed_at=at,
            changed_by=principal.subject,
            changed_by_name=principal.username,
        )
    )
    if not checked:
        await flush_unique(session, cmd.tag)
    await announce(session, changed_event(asset, AssetRegistered), batch)
    return asset


async def register_checked(
    session: AsyncSession,
    principal: Principal,
    new: list[tuple[AssetCreate, Unit]],
    *,
    at: datetime,
    batch: list[Event],
) -> None:
    """Registers the assets an import has checked (tags not in the ledger, units known, `off_site` with its
    approval): the assets and their first status entries in two multi-row INSERTs, not an object each flushed by
    the session (5,000 rows: seconds of the import's time); their `asset.registered` events into `batch`."""
    assets, changes = [], []
    for cmd, unit in new:
        values: dict[str, Any] = {
            "id": uuid4(),
            **cmd.model_dump(exclude={"approval_ref"}),
            "unit_path": list(unit.path) or [unit.id],
            "version": 1,
            "created_at": at,
            "created_by": principal.subject,
            "updated_at": at,
            "updated_by": principal.subject,
        }
        assets.append(values)
        changes.append(
            {
                "id": uuid4(),
                "asset_id": values["id"],
                "from_status": None,
                "to_status": values["status"],
                "reason": "登记入账",
                "approval_ref": cmd.approval_ref,
                "changed_at": at,
                "changed_by": principal.subject,
                "changed_by_name": principal.username,
            }
        )
        batch.append(
            AssetRegistered(asset_id=values["id"], aggregate_version=1, **{f: values[f] for f in EVENT_FIELDS})
        )
    if not assets:
        return
    try:
        await session.execute(insert(Asset), assets)
    except IntegrityError as exc:  # a tag another request registered meanwhile
        if "asset_tag_key" not in str(exc.orig):
            raise
        raise tag_conflict("in this file") from exc
    await session.execute(insert(StatusChange), changes)
    # Past the ORM's flush, so told to the audit trail here (the gateway's entry of the import lists them).
    audit_trail.record_inserts(session.sync_session, Asset.__tablename__, assets)
    audit_trail.record_inserts(session.sync_session, StatusChange.__tablename__, changes)


async def flush_unique(session: AsyncSession, tag: str | None = None) -> None:
    """Flushes; a tag another request registered at the same moment is a conflict, not a failure."""
    try:
        await session.flush()
    except IntegrityError as exc:
        if "asset_tag_key" not in str(exc.orig):
            raise
        raise tag_conflict(tag or "in this file") from exc


async def get_for_update(session: AsyncSession, asset_id: UUID) -> Asset:
    asset = await session.get(Asset, asset_id, with_for_update=True)
    if asset is None:
        raise NotFound(f"no asset {asset_id}")
    return asset


async def get_visible(session: AsyncSession, principal: Principal, asset_id: UUID) -> Asset:
    asset = await session.scalar(select(Asset).where(Asset.id == asset_id, visible(principal)))
    if asset is None:
        raise NotFound(f"no asset {asset_id}")
    return asset


async def by_tag(session: AsyncSession, principal: Principal, tag: str) -> Asset:
    asset = await session.scalar(select(Asset).where(Asset.tag == tag.strip().upper(), visible(principal)))
    if asset is None:
        raise NotFound(f"no asset tagged {tag}", field="tag")
    return asset


async def update(
    session: AsyncSession,
    principal: Principal,
    asset: Asset,
    changes: dict[str, Any],
    *,
    at: datetime | None = None,
    batch: list[Event] | None = None,
) -> list[str]:
    """Applies the fields that differ; announces `asset.updated` when any did. Returns the changed names."""
    for name in REQUIRED_FIELDS & changes.keys():
        if changes[name] is None:
            raise RuleViolation(f"{name} cannot be emptied", field=name)
    changed = [name for name, value in changes.items() if getattr(asset, name) != value]
    if not changed:
        return []
    commissioned = changes.get("commissioned_on", asset.commissioned_on)
    warranty = changes.get("warranty_until", asset.warranty_until)
    if commissioned and warranty and warranty < commissioned:
        raise RuleViolation("warranty_until is before commissioned_on", field="warranty_until")
    if "unit_id" in changed:
        unit = await unit_for(session, changes["unit_id"])
        asset.unit_path = list(unit.path) or [unit.id]
    for name in changed:
        setattr(asset, name, changes[name])
    asset.version += 1
    asset.updated_at = at or now()
    asset.updated_by = principal.subject
    await announce(session, changed_event(asset, AssetUpdated, changed=sorted(changed)), batch)
    return changed


async def patch(session: AsyncSession, principal: Principal, asset_id: UUID, cmd: AssetPatch) -> Asset:
    asset = await get_for_update(session, asset_id)
    await update(session, principal, asset, cmd.model_dump(exclude_unset=True))
    return asset


async def change_status(
    session: AsyncSession,
    principal: Principal,
    asset: Asset,
    cmd: StatusChangeIn,
    *,
    at: datetime | None = None,
    batch: list[Event] | None = None,
) -> bool:
    if cmd.status == asset.status:
        return False
    if cmd.status == AssetStatus.OFF_SITE and not cmd.approval_ref:
        raise off_site_without_approval()
    if asset.status == AssetStatus.RETIRED:
        raise RuleViolation(f"{asset.tag} is retired: a retired asset stays retired", field="status")
    at = at or now()
    before = asset.status
    asset.status = cmd.status.value
    asset.version += 1
    asset.updated_at = at
    asset.updated_by = principal.subject
    session.add(
        StatusChange(
            asset_id=asset.id,
            from_status=before,
            to_status=cmd.status.value,
            reason=cmd.reason,
            approval_ref=cmd.approval_ref,
            changed_at=at,
            changed_by=principal.subject,
            changed_by_name=principal.username,
        )
    )
    await announce(
        session,
        AssetStatusChanged(
            asset_id=asset.id,
            tag=asset.tag,
            unit_id=asset.unit_id,
            asset_class=asset.asset_class,
            from_status=before,
            to_status=cmd.status.value,
            reason=cmd.reason,
            approval_ref=cmd.approval_ref,
            changed_at=at,
            changed_by=principal.subject,
            aggregate_version=asset.version,
        ),
        batch,
    )
    return True


async def status_history(session: AsyncSession, asset_id: UUID) -> list[StatusChange]:
    rows = await session.execute(
        select(StatusChange).where(StatusChange.asset_id == asset_id).order_by(StatusChange.changed_at, StatusChange.id)
    )
    return list(rows.scalars())


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(column: InstrumentedAttribute[Any], text: str) -> ColumnElement[bool]:
    """`column` contains `text`, case aside: ILIKE, or LIKE when `text` has no letters with a case (Chinese, digits),
    which finds the same and costs half as much a row (ILIKE lower-cases every row's text as it compares)."""
    pattern = like_pattern(text)
    if text.lower() == text.upper():
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


def text_search(text: str) -> ColumnElement[bool]:
    """`search_text` contains `text` (a substring, case aside). Three characters and more are found on the trigram
    index; two (a name, a maker: 张伟, 华为) on the index of character pairs (assets_0013), which a trigram index
    cannot serve, and are compared by strpos rather than (I)LIKE: a prepared statement's generic plan would
    otherwise read the whole trigram index for the LIKE beside the pairs (0.2 s a query at 50,000 assets)."""
    if len(text) == 2 and not text.isspace():
        needle = text.lower()
        haystack = Asset.search_text if needle == text.upper() else func.lower(Asset.search_text)
        return and_(
            func.asset_bigrams(Asset.search_text, type_=pg.ARRAY(Text)).contains([needle]),
            func.strpos(haystack, needle) > 0,
        )
    return contains(Asset.search_text, text)


def filtered(principal: Principal, f: AssetFilter) -> Select[Asset]:
    stmt = select(Asset).where(visible(principal))
    if f.q:
        stmt = stmt.where(text_search(f.q))
    if f.tag:
        stmt = stmt.where(contains(Asset.tag, f.tag.strip()))
    for name in ("asset_class", "status", "criticality"):
        values = getattr(f, name)
        if values:
            stmt = stmt.where(getattr(Asset, name).in_([v.value for v in values]))
    # Text fields match a substring, so "朝阳" finds "朝阳分局机房".
    for name in (
        "security_zone",
        "owning_system",
        "site",
        "room",
        "rack",
        "maker",
        "model",
        "serial_number",
        "custodian",
    ):
        value = getattr(f, name)
        if value:
            stmt = stmt.where(contains(getattr(Asset, name), value.strip()))
    if f.unit_id:
        stmt = stmt.where(Asset.unit_path.contains([f.unit_id]))
    if f.commissioned_from:
        stmt = stmt.where(Asset.commissioned_on >= f.commissioned_from)
    if f.commissioned_to:
        stmt = stmt.where(Asset.commissioned_on <= f.commissioned_to)
    if f.warranty_until_before:
        stmt = stmt.where(Asset.warranty_until < f.warranty_until_before)
    return stmt


async def find(session: AsyncSession, principal: Principal, f: AssetFilter) -> tuple[list[Asset], int]:
    stmt = filtered(principal, f)
    total = int(await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    rows = await session.execute(stmt.order_by(Asset.tag).limit(f.limit).offset((f.page - 1) * f.limit))
    return list(rows.scalars()), total
