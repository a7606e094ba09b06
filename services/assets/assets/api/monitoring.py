"""/api/monitoring: alerts from Prometheus Alertmanager and from any engine's generic webhook (system clients
with the `monitoring:write` scope), the rules that decide what they do, maintenance windows, the alerts
heard of, and the blackbox probe targets exported from the ledger (运行监测)."""

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, status

from assets.api.dependencies import Settings
from assets.monitoring import service
from assets.monitoring.schemas import (
    AlertmanagerNotification,
    AlertOut,
    GenericEvent,
    Receipt,
    RuleIn,
    RuleOut,
    RulePatch,
    Target,
    WindowIn,
    WindowOut,
)
from opsdesk_shared.auth import CurrentPrincipal, Principal, Role, require_roles
from opsdesk_shared.dependencies import ReadSession, Uow
from opsdesk_shared.errors import Forbidden

router = APIRouter(prefix="/api/monitoring", tags=["monitoring"])
SCOPE = "monitoring:write"


async def monitoring_client(principal: CurrentPrincipal) -> Principal:
    """A monitoring engine: a system client (API key) holding the monitoring:write scope."""
    if not principal.has_any(Role.SYSTEM) or SCOPE not in principal.scopes:
        raise Forbidden(
            "alerts are accepted from a system client's API key with the monitoring:write scope",
            code="api_key.scope_missing",
        )
    return principal


async def target_reader(principal: CurrentPrincipal) -> Principal:
    if principal.has_any(Role.ADMIN) or (principal.has_any(Role.SYSTEM) and SCOPE in principal.scopes):
        return principal
    raise Forbidden("the probe targets are for admins and monitoring clients", code="auth.role_required")


Engine = Annotated[Principal, Depends(monitoring_client)]
TargetReader = Annotated[Principal, Depends(target_reader)]
RuleKeeper = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
WindowKeeper = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.DISPATCHER))]
# The desk reads alerts, rules and windows; the vendor's project manager reads what a supervisor reads.
AlertReader = Annotated[
    Principal,
    Depends(require_roles(Role.ADMIN, Role.DISPATCHER, Role.ENGINEER, Role.SUPERVISOR, Role.PROJECT_MANAGER)),
]


@router.post("/alertmanager", response_model=Receipt)
async def alertmanager_webhook(body: AlertmanagerNotification, engine: Engine, uow: Uow, settings: Settings) -> Receipt:
    """Alertmanager's webhook (payload version 4). Answered once the alerts and their consequences are
    committed; a 503 (the database away) makes Alertmanager retry, and a resend changes nothing."""
    incoming = service.from_alertmanager(body)
    return await service.receive(uow, incoming, fallback_unit_code=settings.monitoring_fallback_unit)


@router.post("/events", response_model=Receipt)
async def generic_event(body: GenericEvent, engine: Engine, uow: Uow, settings: Settings) -> Receipt:
    """One event of any monitoring engine (deploy/monitoring/zabbix/ has a Zabbix media type for it)."""
    recorded = await service.recorded_starts_at(uow, body.source, body.key)
    incoming = service.from_generic(body, recorded)
    return await service.receive(uow, [incoming], fallback_unit_code=settings.monitoring_fallback_unit)


@router.get("/alerts", response_model=list[AlertOut])
async def list_alerts(
    principal: AlertReader,
    session: ReadSession,
    alert_status: Annotated[Literal["firing", "resolved"] | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AlertOut]:
    return [AlertOut.model_validate(a) for a in await service.list_alerts(session, status=alert_status, limit=limit)]


@router.get("/rules", response_model=list[RuleOut])
async def list_rules(principal: AlertReader, session: ReadSession) -> list[RuleOut]:
    return [RuleOut.model_validate(r) for r in await service.list_rules(session)]


@router.post("/rules", response_model=RuleOut, status_code=status.HTTP_201_CREATED)
async def create_rule(body: RuleIn, principal: RuleKeeper, uow: Uow) -> RuleOut:
    return RuleOut.model_validate(await service.create_rule(uow, principal, body))


@router.patch("/rules/{rule_id}", response_model=RuleOut)
async def patch_rule(rule_id: UUID, body: RulePatch, principal: RuleKeeper, uow: Uow) -> RuleOut:
    return RuleOut.model_validate(await service.patch_rule(uow, principal, rule_id, body))


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_rule(rule_id: UUID, principal: RuleKeeper, uow: Uow) -> None:
    await service.delete_rule(uow, rule_id)


@router.get("/maintenance", response_model=list[WindowOut])
async def list_windows(principal: AlertReader, session: ReadSession, current: bool = True) -> list[WindowOut]:
    return [WindowOut.model_validate(w) for w in await service.list_windows(session, current_only=current)]


@router.post("/maintenance", response_model=WindowOut, status_code=status.HTTP_201_CREATED)
async def create_window(body: WindowIn, principal: WindowKeeper, uow: Uow) -> WindowOut:
    return WindowOut.model_validate(await service.create_window(uow, principal, body))


@router.post("/maintenance/{window_id}/end", response_model=WindowOut)
async def end_window(window_id: UUID, principal: WindowKeeper, uow: Uow) -> WindowOut:
    return WindowOut.model_validate(await service.end_window(uow, window_id))


@router.get("/targets", response_model=list[Target])
async def probe_targets(principal: TargetReader, session: ReadSession) -> list[Target]:
    """The blackbox exporter's targets in Prometheus's file_sd format (save as targets/devices.json)."""
    return await service.probe_targets(session)
