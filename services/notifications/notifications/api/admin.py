"""/api/sms templates, rules and opt-outs: what the admin (SPEC §1) configures."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from sqlalchemy import select

from notifications.inbound.models import SmsOptOut
from notifications.inbound.schemas import OptOutOut
from notifications.rules import provider_templates
from notifications.rules import service as rules
from notifications.rules.models import SmsRule, SmsTemplate
from notifications.rules.schemas import RuleOut, RulePatch, TemplateIn, TemplateOut
from opsdesk_shared.auth import Principal, Role, require_roles
from opsdesk_shared.dependencies import Uow
from opsdesk_shared.errors import NotFound, RuleViolation
from opsdesk_shared.phones import normalise_phone

router = APIRouter(prefix="/api/sms", tags=["sms administration"])
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
Reader = Annotated[
    Principal,
    Depends(require_roles(Role.ADMIN, Role.DISPATCHER, Role.HOTLINE_OPERATOR, Role.SUPERVISOR, Role.PROJECT_MANAGER)),
]
OptOutKeeper = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.HOTLINE_OPERATOR))]


def _template_out(t: SmsTemplate) -> TemplateOut:
    return TemplateOut(
        code=t.code,
        trigger=t.trigger,
        body=t.body,
        variables=rules.template_variables(t.body),
        provider_code=t.provider_code,
        provider_params=t.provider_params,
        updated_at=t.updated_at,
    )


def _allowed(trigger: str | None) -> tuple[str, ...] | None:
    if trigger is None:
        return None
    if trigger not in rules.TRIGGERS:
        raise RuleViolation(
            f"unknown trigger {trigger!r}; one of {', '.join(rules.TRIGGERS)}",
            field="trigger",
            code="sms.trigger_unknown",
        )
    return rules.TRIGGERS[trigger].variables


@router.get("/templates", response_model=list[TemplateOut])
async def list_templates(_: Reader, uow: Uow) -> list[TemplateOut]:
    rows = await uow.execute(select(SmsTemplate).order_by(SmsTemplate.code))
    return [_template_out(t) for t in rows.scalars()]


@router.put("/templates/{code}", response_model=TemplateOut)
async def put_template(code: str, body: TemplateIn, _: Admin, uow: Uow) -> TemplateOut:
    """Creates or replaces a template; its `{variables}` are checked against what its trigger provides."""
    if not rules.re_code.fullmatch(code):
        raise RuleViolation(
            "template codes are lower-case letters, digits and _", field="code", code="sms.template_code_invalid"
        )
    template = await uow.get(SmsTemplate, code, with_for_update=True)
    # The Aliyun template code and mapping change only when given (editing the text keeps them).
    given = body.model_fields_set & {"provider_code", "provider_params"}
    provider_code = body.provider_code if given or template is None else template.provider_code
    provider_params = body.provider_params if given or template is None else template.provider_params
    rules.check_template(body.body, _allowed(body.trigger))
    rules.check_provider_mapping(provider_code, provider_params, _allowed(body.trigger))
    # A template a rule uses must keep fitting that rule's trigger.
    used_by = (await uow.execute(select(SmsRule.trigger).where(SmsRule.template_code == code))).scalars().all()
    for trigger in used_by:
        rules.check_template(body.body, rules.TRIGGERS[trigger].variables)
        rules.check_provider_mapping(provider_code, provider_params, rules.TRIGGERS[trigger].variables)
    now = datetime.now(UTC)
    if template is None:
        template = SmsTemplate(code=code, trigger=body.trigger, body=body.body, updated_at=now)
        uow.add(template)
    else:
        template.trigger, template.body, template.updated_at = body.trigger, body.body, now
    template.provider_code, template.provider_params = provider_code, provider_params
    return _template_out(template)


@router.get("/rules", response_model=list[RuleOut])
async def list_rules(_: Reader, uow: Uow) -> list[RuleOut]:
    stored = {r.trigger: r for r in (await uow.execute(select(SmsRule))).scalars()}
    return [_rule_out(stored[name]) for name in rules.TRIGGERS if name in stored]


def _rule_out(rule: SmsRule) -> RuleOut:
    t = rules.TRIGGERS[rule.trigger]
    return RuleOut(
        trigger=rule.trigger,
        template_code=rule.template_code,
        enabled=rule.enabled,
        audience=t.audience,
        urgent=t.urgent,
        deferrable=t.deferrable,
        ticket_news=t.ticket_news,
        variables=list(t.variables),
        description=t.description,
    )


@router.patch("/rules/{trigger}", response_model=RuleOut)
async def patch_rule(trigger: str, body: RulePatch, _: Admin, uow: Uow, request: Request) -> RuleOut:
    """Switches a rule on or off or gives it another template. Saved only if the template fits the trigger, and,
    while Alibaba Cloud SMS is live, has a provider template code whose parameters the trigger fills."""
    rule = await uow.get(SmsRule, trigger, with_for_update=True)
    if rule is None:
        raise NotFound(f"no rule {trigger!r}", code="sms.rule_not_found")
    if body.template_code is not None:
        template = await uow.get(SmsTemplate, body.template_code)
        if template is None:
            raise RuleViolation(
                f"no template {body.template_code!r}", field="template_code", code="sms.template_unknown"
            )
        rules.check_template(template.body, rules.TRIGGERS[trigger].variables)
        rule.template_code = body.template_code
    if body.enabled is not None:
        rule.enabled = body.enabled
    settings = request.app.state.settings
    if settings.sms_provider == "aliyun" and rule.enabled:
        template = await uow.get(SmsTemplate, rule.template_code)
        assert template is not None
        if provider_templates.code_for(template, settings) is None:
            raise RuleViolation(
                f"template {template.code!r} has no Alibaba Cloud template code: set its provider_code first",
                field="template_code",
            )
        rules.check_provider_mapping(
            provider_templates.code_for(template, settings),
            template.provider_params,
            rules.TRIGGERS[trigger].variables,
        )
    return _rule_out(rule)


@router.get("/opt-outs", response_model=list[OptOutOut])
async def list_opt_outs(_: OptOutKeeper, uow: Uow) -> list[OptOutOut]:
    rows = await uow.execute(select(SmsOptOut).order_by(SmsOptOut.at.desc()).limit(1000))
    return [OptOutOut.model_validate(o, from_attributes=True) for o in rows.scalars()]


@router.put("/opt-outs/{phone}", response_model=OptOutOut, status_code=status.HTTP_200_OK)
async def add_opt_out(phone: str, _: OptOutKeeper, uow: Uow) -> OptOutOut:
    number = normalise_phone(phone, "CN", field="phone")
    existing = await uow.get(SmsOptOut, number)
    if existing is None:
        existing = SmsOptOut(phone=number, source="admin", at=datetime.now(UTC))
        uow.add(existing)
    return OptOutOut.model_validate(existing, from_attributes=True)


@router.delete("/opt-outs/{phone}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_opt_out(phone: str, _: OptOutKeeper, uow: Uow) -> None:
    """The requester asked to receive SMS again (recorded by the gateway's audit log)."""
    existing = await uow.get(SmsOptOut, normalise_phone(phone, "CN", field="phone"))
    if existing is None:
        raise NotFound("that number has not opted out", code="sms.not_opted_out")
    await uow.delete(existing)
