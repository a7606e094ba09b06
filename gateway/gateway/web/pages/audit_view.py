"""The audit log for people: who by name, what in words, which object by its number or name (the labels the
owning service recorded at write time: the auditor may not read tickets), and each row's before and after."""

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from gateway.web.context import LOCAL_TZ
from gateway.web.i18n import N_

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Tables as people call them (source strings: translated in the template).
TABLES = {
    "ticket": N_("工单"),
    "ticket_event": N_("工单记录"),
    "comment": N_("评论"),
    "call": N_("通话"),
    "app_user": N_("用户"),
    "unit": N_("单位"),
    "api_key": N_("API 密钥"),
    "sla_policy": N_("SLA 策略"),
    "sms_rule": N_("短信规则"),
    "sms_template": N_("短信模板"),
    "work_order": N_("工单派工"),
}
# The first word of an action (the API's resource).
RESOURCES = {
    "login": N_("登录"),
    "auth": N_("账号"),
    "tickets": N_("工单"),
    "calls": N_("通话"),
    "cti": N_("电话系统"),
    "workorders": N_("工单派工"),
    "sla": "SLA",
    "sms": N_("短信"),
    "admin": N_("管理"),
    "duty": N_("值班"),
    "reports": N_("报表"),
}
OUTCOMES = {"ok": N_("成功"), "denied": N_("拒绝"), "failed": N_("失败")}
# The filter's choices: an action prefix each.
ACTION_CHOICES = (
    ("login.", N_("登录")),
    ("auth.", N_("账号")),
    ("tickets.", N_("工单")),
    ("calls.", N_("通话")),
    ("workorders.", N_("工单派工")),
    ("admin.users.", N_("用户管理")),
    ("sla.", "SLA"),
    ("sms.", N_("短信")),
)


def day_bounds(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """The form's local dates as instants: from the first day's midnight to the midnight after the last."""

    def parse(text: str | None) -> date | None:
        try:
            return date.fromisoformat(text) if text else None
        except ValueError:
            return None

    start, end = parse(since), parse(until)
    return (
        datetime.combine(start, time(), LOCAL_TZ).isoformat() if start else None,
        datetime.combine(end + timedelta(days=1), time(), LOCAL_TZ).isoformat() if end else None,
    )


def describe(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry with `objects` [(table label, name)], `where` (the path with ids replaced by names),
    `resource` and `outcome` words, and `rows` (the changes) for the template."""
    changes = entry.get("changes") or []
    names: dict[str, str] = {}
    objects: list[tuple[str, str]] = []
    for row in changes:
        label, key = row.get("label"), row.get("key") or []
        if label and row.get("table") in TABLES:
            if key:
                names[str(key[0])] = str(label)
            if (TABLES[row["table"]], str(label)) not in objects:
                objects.append((TABLES[row["table"]], str(label)))
    where = UUID_RE.sub(lambda m: names.get(m.group(0), m.group(0)[:8] + "…"), entry["path"])
    parts = entry["action"].split(".")
    return entry | {
        "objects": objects,
        "where": where,
        "resource": RESOURCES.get(parts[0], parts[0]),
        "verb": ".".join(parts[1:-1]),
        "outcome": OUTCOMES.get(parts[-1], parts[-1]),
        "rows": [r for r in changes if r.get("before") or r.get("after")],
        "table_names": TABLES,
    }
