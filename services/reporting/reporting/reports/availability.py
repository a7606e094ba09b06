"""`GET /api/reports/availability`: the devices' online rate (设备在线率) over a period, from the outages of
availability alerts: per asset, per equipment class and per unit, the outages, the minutes down, the
longest outage and the availability. A class's or unit's availability is over every device of it in the
ledger (a device never down counts as fully available); an outage still open counts up to now, and a
period reaching into the future is measured up to now."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.documents.document import Document, Duration, Percent, Table
from reporting import labels
from reporting.reports.filters import Filters


class DeviceAvailability(BaseModel):
    asset_tag: str
    asset_class: str | None
    unit_id: UUID | None
    unit_name: str | None
    outages: int
    down_s: int
    longest_s: int
    availability_pct: float


class GroupAvailability(BaseModel):
    key: str  # the class code, or the unit id
    name: str
    devices: int  # in the ledger (at least those that were down)
    devices_down: int
    outages: int
    down_s: int
    longest_s: int
    availability_pct: float


class AvailabilityReport(BaseModel):
    period_label: str
    generated_at: datetime
    measured_s: int  # the period's length up to now
    devices: list[DeviceAvailability]  # those down in the period, the most down first
    by_class: list[GroupAvailability]
    by_unit: list[GroupAvailability]
    outages: int
    down_s: int


# Each outage clipped to the period (an open one up to now), with its device as the ledger knows it now.
_CLIPPED = (
    "SELECT coalesce(a.tag, o.asset_tag, o.alertname) AS asset_tag, coalesce(a.asset_class, o.asset_class)"
    " AS asset_class, coalesce(a.unit_id, o.unit_id) AS unit_id,"
    " extract(epoch FROM least(coalesce(o.ended_at, :now), :ends) - greatest(o.started_at, :starts)) AS down_s"
    " FROM device_outage o LEFT JOIN asset_dim a ON a.asset_id = o.asset_id"
    " WHERE o.started_at < :ends AND coalesce(o.ended_at, :now) > :starts"
)


def _pct(down_s: float, devices: int, measured_s: int) -> float:
    if devices <= 0 or measured_s <= 0:
        return 100.0
    return round(max(0.0, 100.0 * (1 - down_s / (devices * measured_s))), 3)


async def availability(session: AsyncSession, filters: Filters) -> AvailabilityReport:
    """Over the period and unit subtree of `filters` (outages have no category or priority)."""
    filters = Filters(filters.period, filters.unit_root)
    now = datetime.now(UTC)
    starts, ends = filters.period.starts_at, min(filters.period.ends_at, now)
    measured = max(0, int((ends - starts).total_seconds()))
    where, params = filters.sql("c", by_day=False)
    params.update(starts=starts, ends=ends, now=now)
    scope = f"WITH c AS ({_CLIPPED}) SELECT * FROM c WHERE c.down_s > 0 AND {where}"
    per_device = (
        await session.execute(
            text(
                f"WITH d AS ({scope}) SELECT d.asset_tag, d.asset_class, d.unit_id, u.name AS unit_name,"
                " count(*) AS outages, sum(d.down_s) AS down_s, max(d.down_s) AS longest_s"
                " FROM d LEFT JOIN unit_dim u ON u.unit_id = d.unit_id"
                " GROUP BY d.asset_tag, d.asset_class, d.unit_id, u.name ORDER BY sum(d.down_s) DESC, d.asset_tag"
            ),
            params,
        )
    ).all()
    devices = [
        DeviceAvailability(
            asset_tag=r.asset_tag,
            asset_class=r.asset_class,
            unit_id=r.unit_id,
            unit_name=r.unit_name,
            outages=r.outages,
            down_s=int(r.down_s),
            longest_s=int(r.longest_s),
            availability_pct=_pct(float(r.down_s), 1, measured),
        )
        for r in per_device
    ]
    ledger_where, ledger_params = filters.sql("", by_day=False)
    in_ledger = (
        await session.execute(
            text(
                "SELECT asset_class, unit_id, count(*) AS n FROM asset_dim"
                f" WHERE status <> 'retired' AND {ledger_where} GROUP BY asset_class, unit_id"
            ),
            ledger_params,
        )
    ).all()
    unit_names: dict[UUID, str] = dict(
        (await session.execute(text("SELECT unit_id, name FROM unit_dim"))).tuples().all()
    )
    by_class = _groups(
        devices,
        _count(in_ledger, "asset_class"),
        lambda d: d.asset_class or "",
        lambda key: labels.name(labels.ASSET_CLASS, key) if key else "未登记 unregistered",
        measured,
    )
    by_unit = _groups(
        devices,
        _count(in_ledger, "unit_id"),
        lambda d: str(d.unit_id) if d.unit_id else "",
        lambda key: unit_names.get(UUID(key), key) if key else "未知单位 unknown unit",
        measured,
    )
    return AvailabilityReport(
        period_label=filters.period.label,
        generated_at=now,
        measured_s=measured,
        devices=devices,
        by_class=by_class,
        by_unit=by_unit,
        outages=sum(d.outages for d in devices),
        down_s=sum(d.down_s for d in devices),
    )


def _count(rows: Any, column: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        key = str(getattr(row, column) or "")
        counts[key] = counts.get(key, 0) + row.n
    return counts


def _groups(
    devices: list[DeviceAvailability],
    in_ledger: dict[str, int],
    key_of: Any,
    name_of: Any,
    measured: int,
) -> list[GroupAvailability]:
    down: dict[str, list[DeviceAvailability]] = {}
    for device in devices:
        down.setdefault(key_of(device), []).append(device)
    groups = []
    for key in sorted(set(in_ledger) | set(down)):
        members = down.get(key, [])
        total = max(in_ledger.get(key, 0), len(members))
        down_s = sum(d.down_s for d in members)
        groups.append(
            GroupAvailability(
                key=key,
                name=name_of(key),
                devices=total,
                devices_down=len(members),
                outages=sum(d.outages for d in members),
                down_s=down_s,
                longest_s=max((d.longest_s for d in members), default=0),
                availability_pct=_pct(down_s, total, measured),
            )
        )
    return sorted(groups, key=lambda g: (g.availability_pct, g.name))


def availability_tables(report: AvailabilityReport) -> list[Table]:
    def group_table(title: str, first: str, groups: list[GroupAvailability]) -> Table:
        return Table(
            title,
            [
                first,
                "设备数 Devices",
                "停机设备 Down",
                "停机次数 Outages",
                "停机时长 Down",
                "最长 Longest",
                "在线率 Availability",
            ],
            [
                [
                    g.name,
                    g.devices,
                    g.devices_down,
                    g.outages,
                    Duration(g.down_s),
                    Duration(g.longest_s),
                    Percent(g.availability_pct),
                ]
                for g in groups
            ],
        )

    return [
        group_table("设备在线率（按类别）Availability by class", "类别 Class", report.by_class),
        group_table("设备在线率（按单位）Availability by unit", "单位 Unit", report.by_unit),
        Table(
            "停机设备 Devices down",
            [
                "设备 Asset",
                "类别 Class",
                "单位 Unit",
                "停机次数 Outages",
                "停机时长 Down",
                "最长 Longest",
                "在线率 Availability",
            ],
            [
                [
                    d.asset_tag,
                    labels.name(labels.ASSET_CLASS, d.asset_class),
                    d.unit_name or (str(d.unit_id) if d.unit_id else ""),
                    d.outages,
                    Duration(d.down_s),
                    Duration(d.longest_s),
                    Percent(d.availability_pct),
                ]
                for d in report.devices
            ],
        ),
    ]


def availability_document(report: AvailabilityReport, filters: Filters) -> Document:
    return Document(
        title="设备在线率统计 Device availability",
        period=filters.period,
        generated_at=report.generated_at,
        filename=f"availability_{filters.period.first_day}_{filters.period.last_day}",
        sections=[*availability_tables(report)],
    )
