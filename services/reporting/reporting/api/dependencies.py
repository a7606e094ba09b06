"""What reporting's routers share: who may read what, the period and filter parameters, and the one way a
report answers (JSON, or a rendered file)."""

from collections.abc import Callable
from datetime import date
from typing import Annotated, TypeVar
from uuid import UUID

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.auth import Principal, Role, require_roles
from opsdesk_shared.contracts.vocabulary import Category, Priority
from opsdesk_shared.documents.document import Document
from opsdesk_shared.documents.limits import RenderLimits
from opsdesk_shared.documents.render import Format, render
from reporting import periods
from reporting.config import ReportingSettings
from reporting.reports.access import (
    CONTRACT_READERS,
    INSPECTION_READERS,
    PLAN_WRITERS,
    SLA_READERS,
    SUMMARY_READERS,
    scoped_filters,
)
from reporting.reports.filters import Filters

R = TypeVar("R", bound=BaseModel)

SummaryReader = Annotated[Principal, Depends(require_roles(*SUMMARY_READERS))]
SlaReader = Annotated[Principal, Depends(require_roles(*SLA_READERS))]
ContractReader = Annotated[Principal, Depends(require_roles(*CONTRACT_READERS))]
InspectionReader = Annotated[Principal, Depends(require_roles(*INSPECTION_READERS))]
PlanWriter = Annotated[Principal, Depends(require_roles(*PLAN_WRITERS))]
ContractKeeper = Annotated[Principal, Depends(require_roles(Role.ADMIN))]

FormatParam = Annotated[Format, Query(alias="format")]
FromDay = Annotated[date | None, Query(alias="from", description="first local day (Asia/Shanghai), inclusive")]
ToDay = Annotated[date | None, Query(description="last local day, inclusive")]


def settings_of(request: Request) -> ReportingSettings:
    settings: ReportingSettings = request.app.state.settings
    return settings


Settings = Annotated[ReportingSettings, Depends(settings_of)]


class FilterQuery:
    """The filters the summary, SLA and cost reports share, as query parameters."""

    def __init__(
        self,
        from_: FromDay = None,
        to: ToDay = None,
        unit_id: UUID | None = None,
        category: Category | None = None,
        priority: Priority | None = None,
    ) -> None:
        self.period = periods.day_range(from_, to)
        self.unit_id, self.category, self.priority = unit_id, category, priority

    async def scoped(self, session: AsyncSession, principal: Principal) -> Filters:
        return await scoped_filters(
            session, principal, self.period, unit_id=self.unit_id, category=self.category, priority=self.priority
        )


FilterParams = Annotated[FilterQuery, Depends()]


async def answer(
    request: Request, principal: Principal, fmt: Format, result: R, document: Callable[[], Document]
) -> Response | R:
    """The report's figures as JSON, or its document rendered in the format asked for (a file within the
    caller's render slots and the time limit)."""
    if fmt is Format.json:
        return result
    limits: RenderLimits = request.app.state.render_limits
    return await render(document(), fmt, settings_of(request).report_font_path, limits, principal.subject)
