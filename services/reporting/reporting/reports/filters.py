"""What a report is asked about: its period, a unit subtree, a category, a priority, as the rollup tier
to read (`rollup_source`) or as SQL conditions on the facts (`sql`)."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from reporting.periods import Period

# The subtree as one array (an InitPlan), so the planner can use the (unit_id, day) indexes; an
# `OR ... IN (subquery)` made it scan every unit's rows.
_SUBUNITS = "SELECT unit_id FROM unit_dim WHERE path @> ARRAY[CAST(:unit_root AS uuid)]"
_SUBTREE = "{p}unit_id = ANY(ARRAY(" + _SUBUNITS + ") || CAST(:unit_root AS uuid))"


@dataclass(frozen=True)
class Filters:
    period: Period
    unit_root: UUID | None = None  # this unit and every unit below it
    category: str | None = None
    priority: str | None = None

    def _dimensions(self, params: dict[str, Any]) -> list[str]:
        conditions = []
        if self.category is not None:
            conditions.append("category = :category")
            params["category"] = self.category
        if self.priority is not None:
            conditions.append("priority = :priority")
            params["priority"] = self.priority
        return conditions

    def rollup_source(self, kind: str, columns: str) -> tuple[str, dict[str, Any]]:
        """A subquery (alias `r`) of `columns` from the cheapest rollup tier covering the filters: per unit
        when scoped to a subtree; otherwise whole months from `<kind>_monthly` and the days at either end
        from `<kind>_daily_all` (projections/rollups.py)."""
        params: dict[str, Any] = {}
        extra = "".join(f" AND {c}" for c in self._dimensions(params))
        if self.unit_root is not None:
            params.update(first_day=self.period.first_day, last_day=self.period.last_day, unit_root=self.unit_root)
            return (
                f"(SELECT {columns} FROM {kind}_daily WHERE day BETWEEN :first_day AND :last_day{extra} "
                f"AND {_SUBTREE.format(p='')}) AS r",
                params,
            )
        months, edges = self.period.split_months()
        parts = []
        if months is not None:
            params.update(first_month=months[0], last_month=months[1])
            parts.append(
                f"SELECT {columns} FROM {kind}_monthly WHERE month BETWEEN :first_month AND :last_month{extra}"
            )
        for i, (first, last) in enumerate(edges):
            params.update({f"edge{i}_first": first, f"edge{i}_last": last})
            parts.append(
                f"SELECT {columns} FROM {kind}_daily_all WHERE day BETWEEN :edge{i}_first AND :edge{i}_last{extra}"
            )
        return f"({' UNION ALL '.join(parts)}) AS r", params

    def daily_source(self, kind: str, columns: str) -> tuple[str, dict[str, Any]]:
        """Like `rollup_source`, day by day (for per-day series)."""
        params: dict[str, Any] = {"first_day": self.period.first_day, "last_day": self.period.last_day}
        extra = "".join(f" AND {c}" for c in self._dimensions(params))
        if self.unit_root is not None:
            params["unit_root"] = self.unit_root
            table, extra = f"{kind}_daily", f"{extra} AND {_SUBTREE.format(p='')}"
        else:
            table = f"{kind}_daily_all"
        return f"(SELECT day, {columns} FROM {table} WHERE day BETWEEN :first_day AND :last_day{extra}) AS r", params

    def sql(self, alias: str = "", *, by_day: bool = True) -> tuple[str, dict[str, Any]]:
        """A WHERE condition naming only the filters given, so the planner sees a plain query.
        `by_day=False` leaves the period out, for reports that date rows by something else."""
        p = f"{alias}." if alias else ""
        conditions = ["TRUE"]
        params: dict[str, Any] = {}
        if by_day:
            conditions = [f"{p}day BETWEEN :first_day AND :last_day"]
            params.update(first_day=self.period.first_day, last_day=self.period.last_day)
        if self.unit_root is not None:
            conditions.append(_SUBTREE.format(p=p))
            params["unit_root"] = self.unit_root
        if self.category is not None:
            conditions.append(f"{p}category = :category")
            params["category"] = self.category
        if self.priority is not None:
            conditions.append(f"{p}priority = :priority")
            params["priority"] = self.priority
        return " AND ".join(conditions), params
