"""What a report is asked about: its period, a unit subtree, a category, a priority, as SQL conditions
on the rollups and facts (both carry `day`, `unit_id`, `category`, `priority`)."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from reporting.periods import Period


@dataclass(frozen=True)
class Filters:
    period: Period
    unit_root: UUID | None = None  # this unit and every unit below it
    category: str | None = None
    priority: str | None = None

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
            conditions.append(
                f"({p}unit_id = :unit_root OR {p}unit_id IN "
                "(SELECT unit_id FROM unit_dim WHERE path @> ARRAY[CAST(:unit_root AS uuid)]))"
            )
            params["unit_root"] = self.unit_root
        if self.category is not None:
            conditions.append(f"{p}category = :category")
            params["category"] = self.category
        if self.priority is not None:
            conditions.append(f"{p}priority = :priority")
            params["priority"] = self.priority
        return " AND ".join(conditions), params
