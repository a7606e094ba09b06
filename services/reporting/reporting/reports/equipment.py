"""`GET /api/reports/equipment`: equipment statistics and fault analysis (设备统计/故障分析, SPEC §2a): the
fault tickets of a period by equipment class and by security zone, each class's time out of service, and
the assets that fail most.

A fault is a ticket of category `fault` created in the period that names a ledger asset (duplicates left
out); it counts under the asset as the ledger knows it now (`asset_dim`). Time out of service is measured
two ways: the time the ledger had the asset faulty or under repair (its registration and
`asset.status_changed`, as `asset_change_fact` keeps them), and the time monitoring saw it down
(availability alerts, as the availability report); each clipped to the period, an interval still open
counted up to now."""

from datetime import UTC, datetime
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.documents.document import Chart, Document, Duration, Table
from reporting import labels
from reporting.periods import local_text
from reporting.reports.filters import Filters

OUT_OF_SERVICE = ("faulty", "under_repair")


class ClassFaults(BaseModel):
    asset_class: str
    name: str
    assets: int  # in the ledger, retired left out
    faults: int
    assets_with_faults: int
    out_of_service_s: int  # faulty or under repair in the ledger
    down_s: int  # down as monitoring saw it


class ZoneFaults(BaseModel):
    security_zone: str
    assets: int
    faults: int
    assets_with_faults: int


class FailingAsset(BaseModel):
    asset_id: UUID
    tag: str
    name: str | None
    asset_class: str
    security_zone: str
    unit_id: UUID
    unit_name: str | None
    place: str
    status: str
    faults: int
    last_fault_at: datetime


class EquipmentReport(BaseModel):
    period_label: str
    generated_at: datetime
    faults: int  # fault tickets naming a ledger asset
    unmatched_faults: int  # fault tickets naming a tag the ledger does not know (yet)
    by_class: list[ClassFaults]
    by_zone: list[ZoneFaults]
    top_assets: list[FailingAsset]


# Each fault ticket of the period with its asset (by id; by tag when a reclassification named another tag),
# the unit the ticket is counted under being the asset's.
_FAULTS = (
    "SELECT f.ticket_id, f.created_at, a.asset_id, a.asset_class, a.security_zone,"
    " coalesce(a.unit_id, f.unit_id) AS unit_id"
    " FROM ticket_fact f LEFT JOIN asset_dim a"
    " ON a.asset_id = coalesce(f.asset_id, (SELECT d.asset_id FROM asset_dim d WHERE d.tag = f.asset_tag LIMIT 1))"
    " WHERE f.day BETWEEN :first_day AND :last_day AND f.category = 'fault' AND NOT f.duplicate"
    " AND f.asset_tag IS NOT NULL"
)
# Each status interval (from the registration or a change up to the next change) out of service, clipped to
# the period: the ledger's changes of status (`asset_change_fact`) in the order they happened.
_OUT_OF_SERVICE = (
    "WITH s AS (SELECT asset_id, to_status, changed_at AS starts,"
    " lead(changed_at) OVER (PARTITION BY asset_id ORDER BY changed_at, event_id) AS ends FROM asset_change_fact"
    " WHERE kind IN ('registered', 'status_changed'))"
    " SELECT a.asset_class, sum(extract(epoch FROM least(coalesce(s.ends, :now), :ends)"
    " - greatest(s.starts, :starts))) AS s"
    " FROM s JOIN asset_dim a ON a.asset_id = s.asset_id"
    " WHERE s.to_status = ANY(:statuses) AND s.starts < :ends AND coalesce(s.ends, :now) > :starts AND {where}"
    " GROUP BY a.asset_class"
)
_DOWN = (
    "SELECT a.asset_class, sum(extract(epoch FROM least(coalesce(o.ended_at, :now), :ends)"
    " - greatest(o.started_at, :starts))) AS s"
    " FROM device_outage o JOIN asset_dim a ON a.asset_id = o.asset_id"
    " WHERE o.started_at < :ends AND coalesce(o.ended_at, :now) > :starts AND {where}"
    " GROUP BY a.asset_class"
)


async def equipment(session: AsyncSession, filters: Filters, top: int = 10) -> EquipmentReport:
    """Over the period and unit subtree of `filters` (faults have no other dimension here)."""
    filters = Filters(filters.period, filters.unit_root)
    now = datetime.now(UTC)
    starts, ends = filters.period.starts_at, min(filters.period.ends_at, now)
    where, params = filters.sql("x", by_day=False)
    params.update(first_day=filters.period.first_day, last_day=filters.period.last_day)
    faults = f"WITH x AS ({_FAULTS}) SELECT * FROM x WHERE {where}"
    per_class = await session.execute(
        text(
            f"WITH t AS ({faults}) SELECT asset_class, count(*) AS faults, count(DISTINCT asset_id) AS assets"
            " FROM t WHERE asset_id IS NOT NULL GROUP BY asset_class"
        ),
        params,
    )
    class_faults = {r.asset_class: (r.faults, r.assets) for r in per_class}
    per_zone = await session.execute(
        text(
            f"WITH t AS ({faults}) SELECT security_zone, count(*) AS faults, count(DISTINCT asset_id) AS assets"
            " FROM t WHERE asset_id IS NOT NULL GROUP BY security_zone"
        ),
        params,
    )
    zone_faults = {r.security_zone: (r.faults, r.assets) for r in per_zone}
    unmatched = int(
        await session.scalar(text(f"WITH t AS ({faults}) SELECT count(*) FROM t WHERE asset_id IS NULL"), params) or 0
    )
    top_rows = await session.execute(
        text(
            f"WITH t AS ({faults}) SELECT a.asset_id, a.tag, a.name, a.asset_class, a.security_zone, a.unit_id,"
            " u.name AS unit_name, concat_ws(' ', a.site, a.room) AS place, a.status, count(*) AS faults,"
            " max(t.created_at) AS last_fault_at"
            " FROM t JOIN asset_dim a ON a.asset_id = t.asset_id LEFT JOIN unit_dim u ON u.unit_id = a.unit_id"
            " GROUP BY a.asset_id, u.name ORDER BY count(*) DESC, max(t.created_at) DESC, a.tag LIMIT :top"
        ),
        {**params, "top": top},
    )
    top_assets = [FailingAsset(**dict(r._mapping)) for r in top_rows]

    ledger_where, ledger_params = filters.sql("a", by_day=False)
    ledger = (
        await session.execute(
            text(
                "SELECT asset_class, security_zone, count(*) AS n FROM asset_dim a"
                f" WHERE status <> 'retired' AND {ledger_where} GROUP BY asset_class, security_zone"
            ),
            ledger_params,
        )
    ).all()
    interval_params = {**ledger_params, "starts": starts, "ends": ends, "now": now}
    out_of_service = {
        r.asset_class: int(r.s or 0)
        for r in await session.execute(
            text(_OUT_OF_SERVICE.format(where=ledger_where)), {**interval_params, "statuses": list(OUT_OF_SERVICE)}
        )
    }
    down = {
        r.asset_class: int(r.s or 0)
        for r in await session.execute(text(_DOWN.format(where=ledger_where)), interval_params)
    }
    class_assets: dict[str, int] = {}
    zone_assets: dict[str, int] = {}
    for row in ledger:
        class_assets[row.asset_class] = class_assets.get(row.asset_class, 0) + row.n
        zone_assets[row.security_zone] = zone_assets.get(row.security_zone, 0) + row.n
    by_class = [
        ClassFaults(
            asset_class=key,
            name=labels.name(labels.ASSET_CLASS, key),
            assets=class_assets.get(key, 0),
            faults=class_faults.get(key, (0, 0))[0],
            assets_with_faults=class_faults.get(key, (0, 0))[1],
            out_of_service_s=out_of_service.get(key, 0),
            down_s=down.get(key, 0),
        )
        for key in set(class_assets) | set(class_faults) | set(out_of_service) | set(down)
    ]
    by_zone = [
        ZoneFaults(
            security_zone=key,
            assets=zone_assets.get(key, 0),
            faults=zone_faults.get(key, (0, 0))[0],
            assets_with_faults=zone_faults.get(key, (0, 0))[1],
        )
        for key in set(zone_assets) | set(zone_faults)
    ]
    return EquipmentReport(
        period_label=filters.period.label,
        generated_at=now,
        faults=sum(f for f, _ in class_faults.values()),
        unmatched_faults=unmatched,
        by_class=sorted(by_class, key=lambda c: (-c.faults, -c.out_of_service_s, c.asset_class)),
        by_zone=sorted(by_zone, key=lambda z: (-z.faults, z.security_zone)),
        top_assets=top_assets,
    )


def equipment_document(report: EquipmentReport, filters: Filters) -> Document:
    return Document(
        title="设备统计与故障分析 Equipment statistics",
        period=filters.period,
        generated_at=report.generated_at,
        filename=f"equipment_{filters.period.first_day}_{filters.period.last_day}",
        sections=[
            Table(
                "概况 Overview",
                ["故障工单 Fault tickets", "台帐外设备 Unknown tags"],
                [[report.faults, report.unmatched_faults]],
            ),
            Table(
                "故障与停用（按类别）Faults and time out of service by class",
                [
                    "类别 Class",
                    "设备数 Assets",
                    "故障工单 Faults",
                    "故障设备 Assets failed",
                    "故障/维修时长 Faulty or under repair",
                    "监控停机时长 Down (monitoring)",
                ],
                [
                    [
                        c.name,
                        c.assets,
                        c.faults,
                        c.assets_with_faults,
                        Duration(c.out_of_service_s),
                        Duration(c.down_s),
                    ]
                    for c in report.by_class
                ],
            ),
            Chart(
                "故障工单（按类别）Faults by class",
                "bar",
                [c.name for c in report.by_class if c.faults],
                [float(c.faults) for c in report.by_class if c.faults],
            ),
            Table(
                "故障（按安全分区）Faults by security zone",
                ["安全分区 Security zone", "设备数 Assets", "故障工单 Faults", "故障设备 Assets failed"],
                [[z.security_zone, z.assets, z.faults, z.assets_with_faults] for z in report.by_zone],
            ),
            Table(
                "故障最多的设备 Assets that fail most",
                [
                    "设备 Asset",
                    "名称 Name",
                    "类别 Class",
                    "安全分区 Zone",
                    "单位 Unit",
                    "位置 Place",
                    "状态 Status",
                    "故障工单 Faults",
                    "最近故障 Last fault",
                ],
                [
                    [
                        a.tag,
                        a.name or "",
                        labels.name(labels.ASSET_CLASS, a.asset_class),
                        a.security_zone,
                        a.unit_name or str(a.unit_id),
                        a.place,
                        a.status,
                        a.faults,
                        local_text(a.last_fault_at),
                    ]
                    for a in report.top_assets
                ],
            ),
        ],
    )
