"""The monitoring receiver with the database: each delivered alert recorded by source and fingerprint, and
each change of it (a new firing, a recovery) announced once as `monitoring.alert_firing` / `alert_resolved`
with every decision its rule, the ledger and the maintenance windows make; resends change nothing. Rules,
maintenance windows, the alerts list and the blackbox targets exported from the ledger."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from assets.directory.models import Unit
from assets.ledger.models import Asset
from assets.monitoring import rules
from assets.monitoring.models import MaintenanceWindow, MonitoringAlert, MonitoringRule
from assets.monitoring.schemas import (
    AlertmanagerNotification,
    GenericEvent,
    Receipt,
    RuleIn,
    RulePatch,
    Target,
    WindowIn,
)
from assets.technical.models import TechnicalEntry
from opsdesk_shared.auth import Principal
from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.contracts.monitoring import AlertFiring, AlertResolved
from opsdesk_shared.contracts.vocabulary import AssetStatus, Category, Priority
from opsdesk_shared.errors import NotFound
from opsdesk_shared.messaging.outbox import add_events

PRODUCER = "assets"
ALERTMANAGER = "alertmanager"
# Technical-ledger facts that make an asset a blackbox probe target: the address or URL, and the module.
TARGET_FACT, MODULE_FACT, ADDRESS_FACT = "monitoring.target", "monitoring.module", "ip_address"


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Incoming:
    """One delivered alert, whichever webhook brought it."""

    source: str
    fingerprint: str
    status: str  # firing | resolved
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str | None
    group_key: str | None

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname") or self.fingerprint

    @property
    def asset_tag(self) -> str | None:
        return self.labels.get("asset_tag") or None


def from_alertmanager(notification: AlertmanagerNotification) -> list[Incoming]:
    return [
        Incoming(
            source=ALERTMANAGER,
            fingerprint=a.fingerprint,
            status=a.status,
            labels=dict(a.labels),
            annotations=dict(a.annotations),
            starts_at=a.startsAt,
            # "0001-01-01T00:00:00Z" (Go's zero time) while firing
            ends_at=a.endsAt if a.status == "resolved" and a.endsAt and a.endsAt.year > 1 else None,
            generator_url=a.generatorURL or None,
            group_key=notification.groupKey or None,
        )
        for a in notification.alerts
    ]


def from_generic(event: GenericEvent, recorded_starts_at: datetime | None) -> Incoming:
    labels = {**event.labels, "alertname": event.labels.get("alertname", event.key)}
    if event.severity:
        labels["severity"] = event.severity
    if event.asset_tag:
        labels["asset_tag"] = event.asset_tag
    if event.unit:
        labels["unit"] = event.unit
    if event.availability:
        labels["availability"] = "true"
    annotations = {"summary": event.summary, **({"description": event.details} if event.details else {})}
    if event.status == "firing":
        starts_at, ends_at = event.time, None
    else:
        starts_at, ends_at = event.started_at or recorded_starts_at or event.time, event.time
    return Incoming(
        source=event.source,
        fingerprint=event.key,
        status=event.status,
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        ends_at=ends_at,
        generator_url=event.url,
        group_key=None,
    )


# Receiving ---------------------------------------------------------------------------------------------


async def receive(session: AsyncSession, incoming: Sequence[Incoming], *, fallback_unit_code: str | None) -> Receipt:
    """Records a delivery's alerts and announces what changed, in the caller's transaction (one delivery:
    one transaction, so a crash records all of it or none and Alertmanager's retry finds it as it was)."""
    rule_set = [_rule(r) for r in (await session.execute(select(MonitoringRule))).scalars()]
    at = now()
    windows = await _open_windows(session, at)
    assets = await _assets(session, {i.asset_tag for i in incoming if i.asset_tag})
    units = await _units_by_code(session, {i.labels["unit"] for i in incoming if i.labels.get("unit")})
    fallback = await _fallback_unit(session, fallback_unit_code)
    receipt = Receipt(alerts=len(incoming), changes=0, repeats=0, stale=0)
    events: list[Event] = []
    firing_in_group: list[tuple[MonitoringAlert, dict[str, Any], bool]] = []

    rows = await _recorded(session, incoming, at)
    for alert in incoming:
        row = rows[(alert.source, alert.fingerprint)]
        row.deliveries += 1
        recorded = None if row.status == "new" else row.status
        change = rules.change_of(recorded, None if recorded is None else row.starts_at, alert.status, alert.starts_at)
        if change is rules.Change.REPEAT:
            receipt.repeats += 1
            continue
        if change is rules.Change.STALE:
            receipt.stale += 1
            continue
        receipt.changes += 1
        rule = rules.rule_for(rule_set, alert.labels)
        asset = assets.get(alert.asset_tag or "")
        unit_id, unit_known, unit_path = _unit_of(alert, asset, units, fallback)
        common: dict[str, Any] = dict(
            alert_id=row.id,
            source=alert.source,
            fingerprint=alert.fingerprint,
            alertname=alert.alertname,
            starts_at=alert.starts_at,
            asset_id=asset.id if asset else None,
            asset_tag=alert.asset_tag,
            asset_known=asset is not None,
            asset_class=asset.asset_class if asset else None,
            unit_id=unit_id,
            unit_known=unit_known,
            availability=rules.is_availability_alert(rule, alert.labels),
            labels=alert.labels,
        )
        row.alertname, row.status, row.starts_at, row.ends_at = alert.alertname, alert.status, alert.starts_at, None
        row.labels, row.annotations, row.generator_url = alert.labels, alert.annotations, alert.generator_url
        row.group_key, row.asset_tag, row.asset_id, row.unit_id = (
            alert.group_key,
            alert.asset_tag,
            common["asset_id"],
            unit_id,
        )
        row.rule_id, row.availability, row.received_at = rule.id if rule else None, common["availability"], at
        if change is rules.Change.RESOLVED:
            row.ends_at = alert.ends_at or at
            events.append(AlertResolved(**common, ends_at=row.ends_at, auto_resolve=bool(rule and rule.auto_resolve)))
            continue
        maintenance = rules.in_maintenance(windows, alert.starts_at, alert.asset_tag, unit_path) or (
            rules.in_maintenance(windows, at, alert.asset_tag, unit_path)
        )
        opens = bool(rule and rule.opens_tickets) and not maintenance
        row.opens_ticket, row.in_maintenance, row.group_lead = opens, maintenance, None
        firing: dict[str, Any] = dict(
            **common,
            summary=(alert.annotations.get("summary") or alert.alertname)[:500],
            description=alert.annotations.get("description"),
            generator_url=alert.generator_url,
            severity=alert.labels.get("severity"),
            priority=rule.priority_for(alert.labels.get("severity")) if rule else Priority.P3,
            category=rule.category if rule else Category.FAULT,
            kind_of_work=rule.kind_of_work if rule else None,
            opens_ticket=opens,
            in_maintenance=maintenance,
            auto_resolve=bool(rule and rule.auto_resolve),
            reopen_window_s=rule.reopen_window_s if rule else 0,
        )
        firing_in_group.append((row, firing, opens and bool(rule and rule.group_storms) and bool(alert.group_key)))

    await _join_storms(session, firing_in_group)
    fired = [AlertFiring(**firing, group_lead=row.group_lead) for row, firing, _ in firing_in_group]
    # Within a storm the lead's event goes first, so its ticket exists when the others join it.
    fired.sort(key=lambda e: e.group_lead is not None)
    await add_events(session, [*fired, *events], producer=PRODUCER)
    return receipt


async def _join_storms(session: AsyncSession, firing: list[tuple[MonitoringAlert, dict[str, Any], bool]]) -> None:
    """Alerts of one Alertmanager group firing together share the ticket of the group's lead."""
    by_group: dict[str, list[tuple[MonitoringAlert, bool]]] = {}
    for row, _, shares in firing:
        if row.group_key:
            by_group.setdefault(row.group_key, []).append((row, shares))
    for group_key, members in by_group.items():
        fingerprints = [row.fingerprint for row, _ in members]
        current = await session.scalar(
            select(MonitoringAlert.fingerprint)
            .where(
                MonitoringAlert.source == ALERTMANAGER,
                MonitoringAlert.group_key == group_key,
                MonitoringAlert.status == "firing",
                MonitoringAlert.opens_ticket.is_(True),
                MonitoringAlert.group_lead.is_(None),
                MonitoringAlert.fingerprint.not_in(fingerprints),
            )
            .order_by(MonitoringAlert.starts_at)
            .limit(1)
        )
        leads = rules.storm_leads([(row.fingerprint, shares) for row, shares in members], current)
        for row, _ in members:
            row.group_lead = leads[row.fingerprint]


# Rows per multi-row insert: asyncpg takes at most 32,767 parameters a statement (14 a row here).
INSERT_CHUNK = 1000


async def _recorded(
    session: AsyncSession, incoming: Sequence[Incoming], at: datetime
) -> dict[tuple[str, str], MonitoringAlert]:
    """Every alert of the delivery as recorded, locked for this transaction: those heard of for the first time
    inserted (status `new`) in a few multi-row statements, then all read and locked in one, in key order (two
    deliveries of overlapping alerts lock them in the same order). A storm of a thousand is a handful of round
    trips, not four thousand."""
    first: dict[tuple[str, str], Incoming] = {}
    for alert in incoming:
        first.setdefault((alert.source, alert.fingerprint), alert)
    values = [
        dict(
            id=uuid4(),
            source=a.source,
            fingerprint=a.fingerprint,
            alertname=a.alertname,
            status="new",
            starts_at=a.starts_at,
            labels=a.labels,
            annotations=a.annotations,
            opens_ticket=False,
            in_maintenance=False,
            availability=False,
            received_at=at,
            deliveries=0,
        )
        for a in first.values()
    ]
    for start in range(0, len(values), INSERT_CHUNK):
        chunk = values[start : start + INSERT_CHUNK]
        await session.execute(
            insert(MonitoringAlert).values(chunk).on_conflict_do_nothing(index_elements=["source", "fingerprint"])
        )
    rows = await session.scalars(
        select(MonitoringAlert)
        .where(tuple_(MonitoringAlert.source, MonitoringAlert.fingerprint).in_(sorted(first)))
        .order_by(MonitoringAlert.source, MonitoringAlert.fingerprint)
        .with_for_update()
    )
    return {(r.source, r.fingerprint): r for r in rows}


def _rule(row: MonitoringRule) -> rules.Rule:
    return rules.Rule(
        id=row.id,
        position=row.position,
        matchers=rules.matchers_of(row.matchers),
        opens_tickets=row.opens_tickets,
        severity_priority=dict(row.severity_priority),
        default_priority=row.default_priority,
        auto_resolve=row.auto_resolve,
        reopen_window_s=row.reopen_window_s,
        group_storms=row.group_storms,
        availability=row.availability,
        category=row.category,
        kind_of_work=row.kind_of_work,
    )


async def _open_windows(session: AsyncSession, at: datetime) -> list[rules.Window]:
    rows = (await session.execute(select(MaintenanceWindow).where(MaintenanceWindow.ends_at > at))).scalars()
    return [
        rules.Window(starts_at=w.starts_at, ends_at=w.ends_at, asset_tag=w.asset_tag, unit_id=w.unit_id) for w in rows
    ]


async def _assets(session: AsyncSession, tags: set[str]) -> dict[str, Asset]:
    if not tags:
        return {}
    return {a.tag: a for a in (await session.execute(select(Asset).where(Asset.tag.in_(tags)))).scalars()}


async def _units_by_code(session: AsyncSession, codes: set[str]) -> dict[str, Unit]:
    if not codes:
        return {}
    return {u.code: u for u in (await session.execute(select(Unit).where(Unit.code.in_(codes)))).scalars()}


async def _fallback_unit(session: AsyncSession, code: str | None) -> Unit | None:
    """The vendor's unit (configured by code), else the root of the unit tree."""
    if code:
        unit = await session.scalar(select(Unit).where(Unit.code == code))
        if unit is not None:
            return unit
    return await session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.code).limit(1))


def _unit_of(
    alert: Incoming, asset: Asset | None, units: dict[str, Unit], fallback: Unit | None
) -> tuple[UUID | None, bool, list[UUID]]:
    """(unit id, known, its path): the asset's unit, else the `unit` label's, else the fallback flagged unknown."""
    if asset is not None:
        return asset.unit_id, True, list(asset.unit_path)
    unit = units.get(alert.labels.get("unit", ""))
    if unit is not None:
        return unit.id, True, list(unit.path) or [unit.id]
    if fallback is not None:
        return fallback.id, False, list(fallback.path) or [fallback.id]
    return None, False, []


async def recorded_starts_at(session: AsyncSession, source: str, fingerprint: str) -> datetime | None:
    return await session.scalar(
        select(MonitoringAlert.starts_at).where(
            MonitoringAlert.source == source,
            MonitoringAlert.fingerprint == fingerprint,
            MonitoringAlert.status != "new",
        )
    )


# Rules, windows, alerts -------------------------------------------------------------------------------------


async def list_rules(session: AsyncSession) -> list[MonitoringRule]:
    return list((await session.execute(select(MonitoringRule).order_by(MonitoringRule.position))).scalars())


async def create_rule(session: AsyncSession, principal: Principal, cmd: RuleIn) -> MonitoringRule:
    rule = MonitoringRule(id=uuid4(), **_rule_fields(cmd.model_dump(mode="json")), updated_at=now())
    rule.updated_by = principal.subject
    session.add(rule)
    await session.flush()
    return rule


async def patch_rule(session: AsyncSession, principal: Principal, rule_id: UUID, cmd: RulePatch) -> MonitoringRule:
    rule = await session.get(MonitoringRule, rule_id, with_for_update=True)
    if rule is None:
        raise NotFound(f"no monitoring rule {rule_id}", code="monitoring.rule_not_found")
    changes = {k: v for k, v in cmd.model_dump(mode="json", exclude_unset=True).items() if v is not None}
    for name, value in _rule_fields(changes).items():
        setattr(rule, name, value)
    rule.updated_at, rule.updated_by = now(), principal.subject
    await session.flush()
    return rule


async def delete_rule(session: AsyncSession, rule_id: UUID) -> None:
    rule = await session.get(MonitoringRule, rule_id, with_for_update=True)
    if rule is None:
        raise NotFound(f"no monitoring rule {rule_id}", code="monitoring.rule_not_found")
    await session.delete(rule)


def _rule_fields(values: dict[str, Any]) -> dict[str, Any]:
    if "matchers" in values:
        values["matchers"] = [{"label": m["label"], "op": m["op"], "value": m["value"]} for m in values["matchers"]]
    return values


async def list_windows(session: AsyncSession, *, current_only: bool) -> list[MaintenanceWindow]:
    query = select(MaintenanceWindow).order_by(MaintenanceWindow.starts_at.desc())
    if current_only:
        query = query.where(MaintenanceWindow.ends_at > now())
    return list((await session.execute(query.limit(500))).scalars())


async def create_window(session: AsyncSession, principal: Principal, cmd: WindowIn) -> MaintenanceWindow:
    window = MaintenanceWindow(id=uuid4(), **cmd.model_dump(), created_at=now(), created_by=principal.subject)
    session.add(window)
    await session.flush()
    return window


async def end_window(session: AsyncSession, window_id: UUID) -> MaintenanceWindow:
    """Ends a window now (kept for the record of what it covered)."""
    window = await session.get(MaintenanceWindow, window_id, with_for_update=True)
    if window is None:
        raise NotFound(f"no maintenance window {window_id}", code="monitoring.window_not_found")
    window.ends_at = min(window.ends_at, now())
    return window


async def list_alerts(session: AsyncSession, *, status: str | None, limit: int) -> list[MonitoringAlert]:
    query = select(MonitoringAlert).where(MonitoringAlert.status != "new")
    if status:
        query = query.where(MonitoringAlert.status == status)
    return list((await session.execute(query.order_by(MonitoringAlert.received_at.desc()).limit(limit))).scalars())


async def probe_targets(session: AsyncSession) -> list[Target]:
    """Prometheus file-based discovery for the blackbox exporter: every asset in service with a
    `monitoring.target` fact (or, failing that, an `ip_address`) in its technical ledger."""
    newest = (
        select(
            TechnicalEntry.asset_id,
            TechnicalEntry.fact,
            TechnicalEntry.value,
            func.row_number()
            .over(
                partition_by=(TechnicalEntry.asset_id, TechnicalEntry.fact), order_by=TechnicalEntry.recorded_at.desc()
            )
            .label("n"),
        )
        .where(TechnicalEntry.fact.in_((TARGET_FACT, MODULE_FACT, ADDRESS_FACT)))
        .subquery()
    )
    rows = await session.execute(
        select(Asset.tag, Asset.asset_class, Asset.unit_id, newest.c.fact, newest.c.value)
        .join(newest, newest.c.asset_id == Asset.id)
        .where(
            newest.c.n == 1,
            newest.c.value.is_not(None),
            Asset.status.not_in((AssetStatus.RETIRED, AssetStatus.OFF_SITE)),
        )
        .order_by(Asset.tag)
    )
    facts: dict[tuple[str, str, UUID], dict[str, str]] = {}
    for tag, asset_class, unit_id, fact, value in rows:
        facts.setdefault((tag, asset_class, unit_id), {})[fact] = value
    targets = []
    for (tag, asset_class, unit_id), f in facts.items():
        address = f.get(TARGET_FACT) or f.get(ADDRESS_FACT)
        if not address:
            continue
        module = f.get(MODULE_FACT) or ("http_2xx" if address.startswith(("http://", "https://")) else "icmp")
        labels = {"asset_tag": tag, "asset_class": asset_class, "unit_id": str(unit_id), "module": module}
        targets.append(Target(targets=[address], labels=labels))
    return targets
