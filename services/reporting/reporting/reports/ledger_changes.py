"""The equipment ledger's changes over a period (设备台帐变更), for the acceptance reports: assets registered,
changes of their details, technical-ledger facts changed (技术台帐: addresses, firmware, …), changes of status
(retirements among them), per equipment class and per move from one status to another; and the ledger as it
stands now. From `asset_change_fact` (projections/assets.py)."""

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.documents.document import Section, Table
from reporting import labels
from reporting.periods import Period


class ClassChanges(BaseModel):
    asset_class: str
    name: str
    registered: int
    updated: int
    technical: int
    status_changes: int
    retired: int
    in_ledger: int  # now, retired ones included


class StatusMove(BaseModel):
    from_status: str
    to_status: str
    changes: int


class LedgerChanges(BaseModel):
    generated_at: datetime
    registered: int
    updated: int  # changes of an asset's details (location, custodian, …)
    technical: int  # technical-ledger facts changed (one recording may change several)
    status_changes: int
    retired: int
    in_ledger: int  # now
    in_service: int  # now
    by_class: list[ClassChanges]
    moves: list[StatusMove]  # the most frequent first


COUNTED = ("registered", "updated", "technical", "status_changes", "retired")
_PER_CLASS = text(
    "SELECT asset_class, count(*) FILTER (WHERE kind = 'registered') AS registered,"
    " count(*) FILTER (WHERE kind = 'updated') AS updated,"
    " coalesce(sum(cardinality(changed_fields)) FILTER (WHERE kind = 'technical'), 0) AS technical,"
    " count(*) FILTER (WHERE kind = 'status_changed') AS status_changes,"
    " count(*) FILTER (WHERE kind = 'status_changed' AND to_status = 'retired') AS retired"
    " FROM asset_change_fact WHERE day BETWEEN :first AND :last GROUP BY asset_class"
)
_MOVES = text(
    "SELECT from_status, to_status, count(*) AS changes FROM asset_change_fact"
    " WHERE kind = 'status_changed' AND day BETWEEN :first AND :last GROUP BY 1, 2"
)
_LEDGER = text(
    "SELECT asset_class, count(*) AS n, count(*) FILTER (WHERE status = 'in_service') AS in_service"
    " FROM asset_dim GROUP BY asset_class"
)


async def ledger_changes(session: AsyncSession, period: Period) -> LedgerChanges:
    bounds = {"first": period.first_day, "last": period.last_day}
    changes = {r.asset_class: r for r in await session.execute(_PER_CLASS, bounds)}
    ledger = {r.asset_class: r for r in await session.execute(_LEDGER)}

    def count(row: Any, field: str) -> int:
        return int(getattr(row, field)) if row is not None else 0

    by_class = [
        ClassChanges(
            asset_class=key,
            name=labels.name(labels.ASSET_CLASS, key),
            in_ledger=count(ledger.get(key), "n"),
            **{f: count(changes.get(key), f) for f in COUNTED},
        )
        for key in sorted(set(changes) | set(ledger))
    ]
    moves = sorted(
        (StatusMove(from_status=m.from_status, to_status=m.to_status, changes=m.changes)
         for m in await session.execute(_MOVES, bounds)),
        key=lambda m: (-m.changes, m.from_status, m.to_status),
    )  # fmt: skip
    return LedgerChanges(
        generated_at=datetime.now(UTC),
        registered=sum(c.registered for c in by_class),
        updated=sum(c.updated for c in by_class),
        technical=sum(c.technical for c in by_class),
        status_changes=sum(c.status_changes for c in by_class),
        retired=sum(c.retired for c in by_class),
        in_ledger=sum(c.in_ledger for c in by_class),
        in_service=sum(count(r, "in_service") for r in ledger.values()),
        by_class=by_class,
        moves=moves,
    )


def _status(code: str) -> str:
    return labels.name(labels.ASSET_STATUS, code)


def ledger_tables(report: LedgerChanges) -> list[Section]:
    return [
        Table(
            "设备台帐变更 Equipment ledger changes",
            [
                "新登记 Registered",
                "信息变更 Details changed",
                "技术台帐变更 Technical facts changed",
                "状态变更 Status changes",
                "报废 Retired",
                "台帐现有 In ledger now",
                "现在用 In service now",
            ],
            [
                [
                    report.registered,
                    report.updated,
                    report.technical,
                    report.status_changes,
                    report.retired,
                    report.in_ledger,
                    report.in_service,
                ]
            ],
        ),
        Table(
            "各类设备台帐变更 Ledger changes per equipment class",
            [
                "设备类别 Class",
                "新登记 Registered",
                "信息变更 Details",
                "技术台帐 Technical",
                "状态变更 Status",
                "报废 Retired",
                "台帐现有 In ledger now",
            ],
            [
                [c.name, c.registered, c.updated, c.technical, c.status_changes, c.retired, c.in_ledger]
                for c in report.by_class
            ],
        ),
        Table(
            "设备状态变更 Status changes",
            ["原状态 From", "新状态 To", "次数 Changes"],
            [[_status(m.from_status), _status(m.to_status), m.changes] for m in report.moves],
        ),
    ]
