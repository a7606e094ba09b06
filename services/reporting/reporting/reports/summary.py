"""`GET /api/reports/summary`: volume, SLA compliance, times to arrive and resolve, first-call
resolution, reopens, satisfaction and SMS traffic for a period, read from the daily rollups only."""

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.documents.document import Chart, Document, Duration, Percent, Section, Table
from reporting import labels
from reporting.projections.rollups import TICKETS
from reporting.reports.filters import Filters

METRICS = ("response", "arrival", "resolution")


class PeriodOut(BaseModel):
    label: str
    first_day: date
    last_day: date


class Compliance(BaseModel):
    met: int = 0
    breached: int = 0
    running: int = 0
    cancelled: int = 0
    compliance_pct: float | None = None  # met / (met + breached)


class Durations(BaseModel):
    n: int
    mean_s: float | None
    p90_s: float | None  # upper edge of the bucket holding the 90th percentile (1 min below a day, 1 h above)


class Satisfaction(BaseModel):
    rated: int
    mean_rating: float | None
    satisfied_pct: float | None  # ratings of 4 or 5


class Traffic(BaseModel):
    sms_sent: int
    sms_delivered: int
    sms_failed: int
    sms_segments_sent: int
    calls: int
    calls_solved_by_article: int = 0  # answered on the phone from a knowledge-base article
    tickets_solved_by_article: int = 0
    filings_spared: int = 0  # requesters who read an article and did not need to file


class DayCount(BaseModel):
    day: date
    tickets: int


class Summary(BaseModel):
    period: PeriodOut
    generated_at: datetime
    unit_id: UUID | None
    category: str | None
    priority: str | None
    total: int  # the work: tickets filed, duplicates left out
    duplicates: int  # tickets closed as duplicates of others (also `by_status["duplicate"]`)
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_priority: dict[str, int]
    by_channel: dict[str, int]
    by_unit: dict[str, int]
    unit_names: dict[str, str]
    per_day: list[DayCount]
    sla: dict[str, Compliance]
    time_to_arrive: Durations
    time_to_resolve: Durations
    resolved: int
    first_call_resolution_pct: float | None  # resolved on the phone or remotely without a work order
    reopen_pct: float | None  # of resolved tickets, those reopened at least once
    satisfaction: Satisfaction
    traffic: Traffic | None  # SMS and calls are not per unit: only unscoped readers get them


def pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


_DIMENSIONS = ("status", "category", "priority", "channel", "unit_id")
_MEASURES = TICKETS.measures


async def summarize(session: AsyncSession, filters: Filters, *, with_traffic: bool) -> Summary:
    # Scoped to a subtree, the per-unit tier answers everything. Unscoped, the all-unit tiers answer, which
    # have no unit: `by_unit` then comes from the `unit_volume` tiers.
    dimensions = _DIMENSIONS if filters.unit_root is not None else _DIMENSIONS[:-1]
    source, params = filters.rollup_source("ticket", ", ".join((*dimensions, *_MEASURES)))
    groups = ", ".join(f"({d})" for d in dimensions)
    rows = await session.execute(
        text(
            f"SELECT {', '.join(dimensions)}, {', '.join(f'GROUPING({d}) AS g_{d}' for d in dimensions)}, "
            + ", ".join(f"sum({m}) AS {m}" for m in _MEASURES)
            + f" FROM {source} GROUP BY GROUPING SETS ({groups}, ())"
        ),
        params,
    )
    by: dict[str, dict[str, int]] = {d: {} for d in _DIMENSIONS}
    totals: dict[str, Any] = {}
    for row in rows.mappings():
        grouped = [d for d in dimensions if row[f"g_{d}"] == 0]
        if not grouped:
            totals = dict(row)
        else:
            by[grouped[0]][str(row[grouped[0]])] = int(row["tickets"])
    if filters.unit_root is None:
        by["unit_id"] = await _by_unit(session, filters)

    def total(key: str) -> int:
        return int(totals.get(key) or 0)

    durations = await _durations(session, filters)
    resolved = total("resolved")
    return Summary(
        period=PeriodOut(
            label=filters.period.label, first_day=filters.period.first_day, last_day=filters.period.last_day
        ),
        generated_at=datetime.now(UTC),
        unit_id=filters.unit_root,
        category=filters.category,
        priority=filters.priority,
        total=total("tickets") - by["status"].get("duplicate", 0),
        duplicates=by["status"].get("duplicate", 0),
        by_status=by["status"],
        by_category=by["category"],
        by_priority=by["priority"],
        by_channel=by["channel"],
        by_unit=by["unit_id"],
        unit_names=await _unit_names(session, list(by["unit_id"])),
        per_day=await _per_day(session, filters),
        sla=await _compliance(session, filters),
        time_to_arrive=_stats(total("arrive_n"), float(totals.get("arrive_sum_s") or 0), durations["arrive"]),
        time_to_resolve=_stats(total("resolve_n"), float(totals.get("resolve_sum_s") or 0), durations["resolve"]),
        resolved=resolved,
        first_call_resolution_pct=pct(total("first_call_resolved"), resolved),
        reopen_pct=pct(total("reopened"), resolved),
        satisfaction=Satisfaction(
            rated=total("rated"),
            mean_rating=round(total("rating_sum") / total("rated"), 2) if total("rated") else None,
            satisfied_pct=pct(total("satisfied"), total("rated")),
        ),
        traffic=await _traffic(session, filters) if with_traffic else None,
    )


async def _by_unit(session: AsyncSession, filters: Filters) -> dict[str, int]:
    source, params = filters.rollup_source("unit_volume", "unit_id, tickets")
    rows = await session.execute(text(f"SELECT unit_id, sum(tickets) AS n FROM {source} GROUP BY unit_id"), params)
    return {str(row.unit_id): int(row.n) for row in rows}


async def _per_day(session: AsyncSession, filters: Filters) -> list[DayCount]:
    source, params = filters.daily_source("ticket", "CASE WHEN status = 'duplicate' THEN 0 ELSE tickets END AS tickets")
    rows = await session.execute(text(f"SELECT day, sum(tickets) AS n FROM {source} GROUP BY day ORDER BY day"), params)
    return [DayCount(day=row.day, tickets=int(row.n)) for row in rows]


async def _compliance(session: AsyncSession, filters: Filters) -> dict[str, Compliance]:
    source, params = filters.rollup_source("sla", "metric, outcome, clocks")
    rows = await session.execute(
        text(f"SELECT metric, outcome, sum(clocks) AS n FROM {source} GROUP BY metric, outcome"), params
    )
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        found[row.metric][row.outcome] = int(row.n)
    result = {}
    for metric in sorted(set(METRICS) | set(found)):
        c = Compliance(**found.get(metric, {}))
        c.compliance_pct = pct(c.met, c.met + c.breached)
        result[metric] = c
    return result


async def _durations(session: AsyncSession, filters: Filters) -> dict[str, list[tuple[int, int]]]:
    source, params = filters.rollup_source("duration", "measure, bucket_s, n")
    rows = await session.execute(
        text(
            f"SELECT measure, bucket_s, sum(n) AS n FROM {source} GROUP BY measure, bucket_s ORDER BY measure, bucket_s"
        ),
        params,
    )
    buckets: dict[str, list[tuple[int, int]]] = {"arrive": [], "resolve": []}
    for row in rows:
        buckets[row.measure].append((int(row.bucket_s), int(row.n)))
    return buckets


def bucket_upper_edge(bucket_s: int) -> int:
    return bucket_s + (60 if bucket_s < 86400 else 3600)


def _stats(n: int, sum_s: float, buckets: list[tuple[int, int]]) -> Durations:
    if n == 0:
        return Durations(n=0, mean_s=None, p90_s=None)
    rank, seen, p90 = 0.9 * n, 0, None
    for bucket_s, count in buckets:
        seen += count
        if seen >= rank:
            p90 = bucket_upper_edge(bucket_s)
            break
    return Durations(n=n, mean_s=round(sum_s / n, 1), p90_s=p90)


async def _unit_names(session: AsyncSession, unit_ids: list[str]) -> dict[str, str]:
    if not unit_ids:
        return {}
    rows = await session.execute(
        text("SELECT unit_id::text AS id, name FROM unit_dim WHERE unit_id = ANY(CAST(:ids AS uuid[]))"),
        {"ids": unit_ids},
    )
    return {row.id: row.name for row in rows}


async def _traffic(session: AsyncSession, filters: Filters) -> Traffic:
    params = {"first_day": filters.period.first_day, "last_day": filters.period.last_day}
    sms = {
        row.status: (int(row.messages), int(row.segments))
        for row in await session.execute(
            text(
                "SELECT status, sum(messages) AS messages, sum(segments) AS segments FROM sms_daily "
                "WHERE day BETWEEN :first_day AND :last_day GROUP BY status"
            ),
            params,
        )
    }
    calls = await session.scalar(
        text("SELECT coalesce(sum(calls), 0) FROM call_daily WHERE day BETWEEN :first_day AND :last_day"), params
    )
    knowledge = {
        row.kind: int(row.n)
        for row in await session.execute(
            text(
                "SELECT kind, sum(count) AS n FROM knowledge_daily "
                "WHERE day BETWEEN :first_day AND :last_day GROUP BY kind"
            ),
            params,
        )
    }
    return Traffic(
        calls_solved_by_article=knowledge.get("call_solved", 0),
        tickets_solved_by_article=knowledge.get("ticket_solved", 0),
        filings_spared=knowledge.get("filing_spared", 0),
        sms_sent=sms.get("sent", (0, 0))[0],
        sms_delivered=sms.get("delivered", (0, 0))[0],
        sms_failed=sms.get("failed", (0, 0))[0],
        sms_segments_sent=sms.get("sent", (0, 0))[1],
        calls=int(calls or 0),
    )


def _fmt_s(seconds: float | None) -> Duration | str:
    return "—" if seconds is None else Duration(seconds)


def _pct_text(value: float | None) -> Percent | str:
    return "—" if value is None else Percent(value)


def daily_series(period: PeriodOut, per_day: list[DayCount]) -> tuple[list[str], list[float]]:
    """Every day of the period, those without tickets as zero: a period with one active day still draws
    that day against the others (a series of one point drew nothing)."""
    counts = {d.day: d.tickets for d in per_day}
    days = [date.fromordinal(n) for n in range(period.first_day.toordinal(), period.last_day.toordinal() + 1)]
    return [d.isoformat() for d in days], [float(counts.get(d, 0)) for d in days]


def _traffic_rows(s: Summary) -> list[list[Any]]:
    """The hotline and SMS figures, known only to readers of the whole bureau's summary."""
    if not s.traffic:
        return []
    return [
        ["热线来电 Calls logged", s.traffic.calls],
        ["知识库解决来电 Calls solved with an article", s.traffic.calls_solved_by_article],
        ["知识库解决工单 Tickets solved with an article", s.traffic.tickets_solved_by_article],
        ["知识库免于报修 Filings spared by articles", s.traffic.filings_spared],
        ["短信发送 SMS sent", s.traffic.sms_sent],
        ["短信送达 SMS delivered", s.traffic.sms_delivered],
        ["短信失败 SMS failed", s.traffic.sms_failed],
    ]


def summary_sections(s: Summary) -> list[Section]:
    """The summary's tables and charts, reused by the weekly, quarterly and annual reports."""
    figures: list[list[Any]] = [
        ["工单总数 Tickets", s.total],
        ["重复工单（不计工作量）Duplicates (not work)", s.duplicates],
        ["已解决 Resolved", s.resolved],
        ["平均到场时长 Mean time to arrive", _fmt_s(s.time_to_arrive.mean_s)],
        ["90% 到场时长 P90 time to arrive", _fmt_s(s.time_to_arrive.p90_s)],
        ["平均解决时长 Mean time to resolve", _fmt_s(s.time_to_resolve.mean_s)],
        ["90% 解决时长 P90 time to resolve", _fmt_s(s.time_to_resolve.p90_s)],
        ["一次解决率 First-call resolution", _pct_text(s.first_call_resolution_pct)],
        ["重开率 Reopen rate", _pct_text(s.reopen_pct)],
        ["评价数 Ratings", s.satisfaction.rated],
        ["平均评分 Mean rating (1–5)", s.satisfaction.mean_rating if s.satisfaction.mean_rating else "—"],
        ["满意率 Satisfied (4–5)", _pct_text(s.satisfaction.satisfied_pct)],
    ]
    overview = Table("服务总览 Overview", ["指标 Figure", "数值 Value"], figures + _traffic_rows(s))
    sla = Table(
        "SLA 达标情况 SLA compliance",
        ["指标 Metric", "达标 Met", "超时 Breached", "进行中 Running", "已取消 Cancelled", "达标率 Compliance"],
        [
            [labels.name(labels.METRIC, m), c.met, c.breached, c.running, c.cancelled, _pct_text(c.compliance_pct)]
            for m, c in s.sla.items()
        ],
    )

    def counts(title: str, table: dict[str, str], values: dict[str, int]) -> Table:
        rows = sorted(values.items(), key=lambda kv: -kv[1])
        return Table(title, ["类别 Value", "工单数 Tickets"], [[labels.name(table, k), n] for k, n in rows])

    units = sorted(s.by_unit.items(), key=lambda kv: -kv[1])
    return [
        overview,
        sla,
        counts("按状态 By status", labels.STATUS, s.by_status),
        counts("按类别 By category", labels.CATEGORY, s.by_category),
        counts("按优先级 By priority", {}, s.by_priority),
        counts("按渠道 By channel", labels.CHANNEL, s.by_channel),
        Table("按单位 By unit", ["单位 Unit", "工单数 Tickets"], [[s.unit_names.get(u, u), n] for u, n in units]),
        Chart("每日工单量 Tickets per day", "line", *daily_series(s.period, s.per_day)),
        Chart(
            "SLA 达标率 SLA compliance (%)",
            "bar",
            [labels.METRIC.get(m, m) for m in s.sla],
            [c.compliance_pct or 0.0 for c in s.sla.values()],
        ),
        Chart(
            "工单类别 Categories",
            "pie",
            [labels.CATEGORY.get(k, k) for k in s.by_category],
            [float(v) for v in s.by_category.values()],
        ),
    ]


def summary_document(s: Summary, filters: Filters) -> Document:
    return Document(
        title="运维服务统计 O&M summary",
        period=filters.period,
        generated_at=s.generated_at,
        filename=f"summary_{filters.period.first_day}_{filters.period.last_day}",
        sections=summary_sections(s),
    )
