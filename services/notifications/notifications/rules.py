"""Which event sends which template to whom (SPEC §6): each trigger names its events, its audience and
the variables its templates may use. Admins edit the templates and switch rules on and off (stored in
`sms_template` / `sms_rule`); the triggers themselves are code, because each needs its own data."""

import re
import string
from dataclasses import dataclass

from opsdesk_shared.errors import RuleViolation


@dataclass(frozen=True)
class Trigger:
    name: str
    audience: str  # requester | engineer | escalation
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
        SMS) does not hold it back; several due to one number are merged into one SMS instead (merging.py)."""
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


def render(body: str, signature: str, variables: dict[str, object]) -> str:
    missing = [n for n in template_variables(body) if n not in variables]
    if missing:
        raise RuleViolation(
            f"missing template variables: {', '.join(missing)}",
            field="variables",
            code="sms.template_variables_missing",
        )
    return signature + body.format(**{k: str(v) for k, v in variables.items()})
