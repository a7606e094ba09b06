"""Which event sends which template to whom (SPEC §6): each trigger names its events, its audience and
the variables its templates may use. Admins edit the templates and switch rules on and off (stored in
`sms_template` / `sms_rule`); the triggers themselves are code, because each needs its own data."""

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass

from opsdesk_shared.errors import RuleViolation


@dataclass(frozen=True)
class Trigger:
    name: str
    audience: str  # requester | engineer | escalation | project_manager
    variables: tuple[str, ...]
    default_body: str
    description: str
    # Waits out quiet hours. Not for what answers the requester's own call (accepted) or announces an
    # engineer on the way: those matter at 23:00 too, the hotline being 7×24.
    deferrable: bool = False

    @property
    def urgent(self) -> bool:
        """Escalations to staff ignore quiet hours and opt-outs (they are duty, not marketing)."""
        return self.audience == "escalation"

    @property
    def ticket_news(self) -> bool:
        """News about a ticket to someone party to it: the requester of their own ticket, the engineer of their
        assignment. A consequence of the desk's work, not marketing: the per-number hourly limit (for business
        SMS) does not hold it back; several due to one number are merged into one SMS instead (messages/merging.py)."""
        return self.audience in ("requester", "engineer")


TRIGGERS = {
    t.name: t
    for t in (
        Trigger(
            "ticket_accepted",
            "requester",
            ("number", "title"),
            "您的报修已受理，工单号{number}，我们将尽快安排处理。",
            "ticket.created: to the requester",
        ),
        Trigger(
            "engineer_assigned",
            "requester",
            ("number", "engineer_name", "engineer_phone", "expected_arrival"),
            "工单{number}已派工程师{engineer_name}（电话{engineer_phone}），预计{expected_arrival}前到达。",
            "workorder.assigned / reassigned: to the requester",
        ),
        Trigger(
            "assignment_to_engineer",
            "engineer",
            ("number", "title", "expected_arrival", "place", "contact_name", "contact_phone"),
            "新工单{number}：{title}，地点{place}，联系人{contact_name} {contact_phone}，"
            "请于{expected_arrival}前到场。",
            "workorder.assigned: to the engineer",
        ),
        Trigger(
            "public_comment",
            "requester",
            ("number", "comment"),
            "工单{number}有新回复：{comment}",
            "ticket.commented (public, by staff): to the requester",
        ),
        Trigger(
            "ticket_pending",
            "requester",
            ("number", "reason"),
            "工单{number}暂停处理，需要您协助：{reason}",
            "ticket.status_changed to pending: to the requester",
        ),
        Trigger(
            "ticket_duplicate",
            "requester",
            ("number", "survivor_number"),
            "您报修的工单{number}与工单{survivor_number}重复，将在工单{survivor_number}中继续处理，请以该单号查询进度。",
            "ticket.cancelled as a duplicate: to its requester, naming the ticket that carries on",
        ),
        Trigger(
            "ticket_resolved",
            "requester",
            ("number",),
            "工单{number}已处理完毕。回复1确认解决，回复2表示仍未解决。",
            "ticket.resolved: to the requester",
        ),
        Trigger(
            "sla_warning",
            "escalation",
            ("number", "metric", "due_at"),
            "预警：工单{number}的{metric}时限将于{due_at}到期。",
            "sla.warning: to the dispatchers on duty",
        ),
        Trigger(
            "sla_breached",
            "escalation",
            ("number", "metric", "due_at"),
            "超时：工单{number}的{metric}时限已于{due_at}超时，请立即处理。",
            "sla.breached: to dispatchers, the project manager and supervisors",
        ),
        # Staff news, not an escalation: it keeps to opt-outs and the per-number limit, at any hour (a part
        # issued at night to a repair may be the one the next repair needs).
        Trigger(
            "spares_stock_low",
            "project_manager",
            ("part", "store", "on_hand", "minimum"),
            "备件低于最低库存：{part}（{store}）合计现有{on_hand}，最低{minimum}，请及时补货。",
            "spares.stock_low: to each project manager",
        ),
    )
}
re_code = re.compile(r"^[a-z][a-z0-9_]{1,49}$")
METRIC_NAMES = {"response": "响应", "arrival": "到场", "resolution": "解决"}


def template_variables(body: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(body) if name is not None]
    except ValueError as exc:
        raise RuleViolation(f"template is not well formed: {exc}", field="body", code="sms.template_malformed") from exc


def check_template(body: str, allowed: tuple[str, ...] | None) -> None:
    """At save time: every `{variable}` must be one the trigger provides (business templates: any name)."""
    for name in template_variables(body):
        if not name.isidentifier():
            raise RuleViolation(f"'{{{name}}}' is not a variable name", field="body", code="sms.template_bad_variable")
        if allowed is not None and name not in allowed:
            raise RuleViolation(
                f"unknown variable '{{{name}}}'; this rule provides {', '.join(allowed)}",
                field="body",
                variable=name,
                code="sms.template_variable_unknown",
            )


def render(body: str, signature: str, variables: Mapping[str, object]) -> str:
    missing = [n for n in template_variables(body) if n not in variables]
    if missing:
        raise RuleViolation(
            f"missing template variables: {', '.join(missing)}",
            field="variables",
            code="sms.template_variables_missing",
        )
    return signature + body.format(**{k: str(v) for k, v in variables.items()})


# Template-based providers (Aliyun): a template code registered with the provider, and OpsDesk variables mapped to
# its parameters. Limits as Dysmsapi documents them: a variable's value at most 35 characters, JSON string values.
PROVIDER_CODE = re.compile(r"^SMS_[0-9A-Za-z_]{1,40}$")
PARAM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,29}$")
PARAM_MAX_CHARS = 35
MAX_PARAMS = 20
# The longest value each bounded variable takes (ticket numbers `20261125-0001`, phones as shown, `12-07 14:00`).
# Free text (title, comment, reason, place, names) has no bound: a rule's SMS clips it to PARAM_MAX_CHARS.
VARIABLE_MAX_CHARS = {
    "number": 13,
    "survivor_number": 13,
    "engineer_phone": 16,
    "contact_phone": 16,
    "expected_arrival": 11,
    "due_at": 11,
    "metric": 2,
    "on_hand": 10,
    "minimum": 10,
}
ELLIPSIS = "…"


def check_provider_mapping(code: str | None, params: dict[str, str] | None, allowed: tuple[str, ...] | None) -> None:
    """At save time: the provider template code is well formed and every parameter is filled by a variable the
    trigger provides (business templates: any variable name), within the provider's limits."""
    if code is None and not params:
        return
    if code is None or not PROVIDER_CODE.fullmatch(code):
        raise RuleViolation(
            "the provider template code is Aliyun's 模板CODE, like SMS_123456789", field="provider_code"
        )
    if not params:
        return  # a template without parameters
    if len(params) > MAX_PARAMS:
        raise RuleViolation(f"at most {MAX_PARAMS} template parameters", field="provider_params")
    for param, variable in params.items():
        field = f"provider_params.{param}"
        if not PARAM_NAME.fullmatch(param):
            raise RuleViolation(f"{param!r} is not a provider parameter name", field=field)
        if not variable or not variable.isidentifier():
            raise RuleViolation(f"parameter {param!r} is not filled by any variable", field=field)
        if allowed is not None and variable not in allowed:
            raise RuleViolation(
                f"parameter {param!r}: unknown variable {variable!r}; this rule provides {', '.join(allowed)}",
                field=field,
                variable=variable,
            )
        if VARIABLE_MAX_CHARS.get(variable, 0) > PARAM_MAX_CHARS:
            raise RuleViolation(
                f"parameter {param!r}: {variable!r} may be longer than the provider's {PARAM_MAX_CHARS} characters",
                field=field,
            )


def provider_params(
    mapping: dict[str, str] | None, variables: Mapping[str, object], *, clip: bool, field: str = "variables"
) -> dict[str, str]:
    """The provider's parameters for one message. `clip`: a rule's free text is cut to the provider's limit;
    otherwise (a business request) a missing or too long value is refused, naming it."""
    params: dict[str, str] = {}
    for param, variable in (mapping or {}).items():
        if variable not in variables:
            raise RuleViolation(f"missing template variable {variable!r} (parameter {param!r})", field=field)
        value = str(variables[variable])
        if len(value) > PARAM_MAX_CHARS:
            if not clip:
                raise RuleViolation(
                    f"{variable!r} is longer than the provider's {PARAM_MAX_CHARS} characters",
                    field=f"{field}.{variable}",
                )
            value = value[: PARAM_MAX_CHARS - 1] + ELLIPSIS
        params[param] = value
    return params
