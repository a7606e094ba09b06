"""Administration: users, the unit tree, API keys, SLA policies, SMS rules and templates, canned replies,
the contract's particulars (what the acceptance reports print); and the audit log for the auditor. Each
section is one fragment that its forms re-render (with the API's messages)."""

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.admin.schemas import API_KEY_SCOPES
from gateway.web.api_client import ApiError, as_download
from gateway.web.context import Web, role_guard
from gateway.web.labels import SMS_AUDIENCES, SMS_RULES
from gateway.web.pages import audit_view
from gateway.web.pages.forms import body_of, form_fields

router = APIRouter(include_in_schema=False)
Admin = role_guard("admin", "security_admin")
Auditor = role_guard("auditor")
SECTIONS = ("users", "units", "keys", "sla", "sms", "replies", "contract")
ROLES = (
    "hotline_operator",
    "requester",
    "dispatcher",
    "engineer",
    "project_manager",
    "supervisor",
    "admin",
    "security_admin",
    "auditor",
)


def unit_tree(units: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """(depth, unit) in tree order: parents before children, siblings by code."""
    children: dict[str | None, list[dict[str, Any]]] = {}
    for unit in units:
        children.setdefault(unit["parent_id"], []).append(unit)
    ordered: list[tuple[int, dict[str, Any]]] = []

    def walk(parent: str | None, depth: int) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: u["code"]):
            ordered.append((depth, unit))
            walk(unit["id"], depth + 1)

    walk(None, 0)
    return ordered


def _minutes_to_seconds(value: str) -> int | str:
    """The form asks for minutes, the API takes seconds; anything else goes through for the API to name."""
    try:
        return round(float(value) * 60)
    except ValueError:
        return value


def provider_params(text: str) -> dict[str, str] | None:
    """`name=number, who=engineer_name` as the form has it; anything malformed goes to the API to be named."""
    pairs = [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]
    if not pairs:
        return None
    return {name.strip(): variable.strip() for name, _, variable in (pair.partition("=") for pair in pairs)}


def params_text(params: dict[str, str] | None) -> str:
    return ", ".join(f"{name}={variable}" for name, variable in (params or {}).items())


async def _section(web: Web, section: str) -> dict[str, Any]:
    units = await web.api.get("/api/admin/units")
    data: dict[str, Any] = {
        "section": section,
        "units": unit_tree(units),
        "unit_names": {u["id"]: u["name"] for u in units},
        "roles": ROLES,
    }
    try:
        if section == "users":
            data["users"] = (await web.api.get("/api/admin/users", limit=200))["items"]
        elif section == "keys":
            data["keys"] = await web.api.get("/api/admin/api-keys")
            data["api_key_scopes"] = API_KEY_SCOPES
        elif section == "sla":
            data["policies"] = await web.api.get("/api/sla/policies")
        elif section == "sms":
            data["rules"] = await web.api.get("/api/sms/rules")
            data["rule_names"], data["audiences"] = SMS_RULES, SMS_AUDIENCES
            data["templates"] = await web.api.get("/api/sms/templates")
            data["sms_provider"] = await web.api.get("/api/sms/provider")
            data["params_text"] = params_text
        elif section == "replies":
            data["replies"] = await web.api.get("/api/canned-replies")
        elif section == "contract":
            data["contract"] = await web.api.get("/api/reports/contract")
    except ApiError as exc:
        data["denied"] = exc.detail  # e.g. API keys belong to the security administrator alone
    return data


@router.get("/ui/admin")
async def admin(web: Web = Admin, section: str = "users") -> Response:
    section = section if section in SECTIONS else "users"
    return web.render(
        "admin.html", **await _section(web, section), sections=SECTIONS, values={}, errors={}, error=None, created=None
    )


@router.post("/ui/admin/{section}")
async def admin_write(section: str, web: Web = Admin) -> Response:
    if section not in SECTIONS:
        return Response(status_code=404)
    fields = await form_fields(web.request)
    form = await web.request.form()
    created, error, errors = None, None, {}
    try:
        if section == "users" and fields.get("reset_password"):
            # The one-time password is in this answer only: rendered once for the administrator, never stored.
            created = await web.api.post(f"/api/admin/users/{fields['reset_password']}/password-reset")
        elif section == "users" and fields.get("set_roles"):
            roles = [str(r) for r in form.getlist("roles")]
            created = await web.api.call("PATCH", f"/api/admin/users/{fields['user_id']}", json={"roles": roles})
        elif section == "users" and fields.get("user_id"):
            created = await web.api.call(
                "PATCH", f"/api/admin/users/{fields['user_id']}", json={"is_active": fields.get("is_active") == "true"}
            )
        elif section == "users":
            body = body_of(fields, "username", "password", "display_name", "phone", "unit_id")
            body["roles"] = [str(r) for r in form.getlist("roles")]
            created = await web.api.post("/api/admin/users", body)
        elif section == "units":
            created = await web.api.post("/api/admin/units", body_of(fields, "code", "name", "kind", "parent_id"))
        elif section == "keys" and fields.get("revoke"):
            created = await web.api.call("DELETE", f"/api/admin/api-keys/{fields['revoke']}")
        elif section == "keys":
            created = await web.api.post(
                "/api/admin/api-keys",
                {"name": fields.get("name", ""), "scopes": [str(s) for s in form.getlist("scopes")]},
            )
        elif section == "sla" and fields.get("retire"):
            # Retired, not deleted: it matches no new ticket; running clocks keep the targets they copied.
            await web.api.call("DELETE", f"/api/sla/policies/{fields['retire']}")
            created = {"retired": True}
        elif section == "sla":
            policy_id = fields.get("policy_id")
            body = (
                body_of(fields, "name", "calendar")
                if policy_id
                else body_of(fields, "name", "category", "priority", "calendar")
            )
            for name in ("response_target_s", "arrival_target_s", "resolution_target_s"):
                if fields.get(name):
                    body[name] = _minutes_to_seconds(fields[name])
                elif policy_id:
                    body[name] = None  # emptied in the edit form: the policy no longer times that metric
            if fields.get("warn_ratio"):
                body["warn_ratio"] = fields["warn_ratio"]
            if policy_id:
                created = await web.api.call("PATCH", f"/api/sla/policies/{policy_id}", json=body)
            else:
                created = await web.api.post("/api/sla/policies", body)
        elif section == "sms" and fields.get("rule"):
            created = await web.api.call(
                "PATCH", f"/api/sms/rules/{fields['rule']}", json={"enabled": fields.get("enabled") == "true"}
            )
        elif section == "sms":
            body = body_of(fields, "body", "trigger")
            if "provider_code" in fields:  # the Alibaba Cloud template code and its parameters (param=variable, …)
                body["provider_code"] = fields["provider_code"].strip() or None
                body["provider_params"] = provider_params(fields.get("provider_params", ""))
            created = await web.api.call("PUT", f"/api/sms/templates/{fields.get('code', '')}", json=body)
        elif section == "replies" and fields.get("delete"):
            await web.api.call("DELETE", f"/api/canned-replies/{fields['delete']}")
            created = {"deleted": True}
        elif section == "replies" and fields.get("reply_id"):
            created = await web.api.call(
                "PATCH", f"/api/canned-replies/{fields['reply_id']}", json=body_of(fields, "title", "body")
            )
        elif section == "replies":
            created = await web.api.post("/api/canned-replies", body_of(fields, "title", "body"))
        elif section == "contract":
            fields_of_contract = ("contract_number", "contract_title", "client_name", "vendor_name")
            created = await web.api.call(
                "PUT", "/api/reports/contract", json=body_of(fields, *fields_of_contract, "starts_on", "ends_on")
            )
    except ApiError as exc:
        error, errors = exc.detail, exc.field_errors()
    data = await _section(web, section)
    return web.render(
        "fragments/admin_section.html",
        status_code=422 if error else 200,
        **data,
        values=fields if error else {},
        errors=errors,
        error=error,
        created=created,
    )


@router.get("/ui/audit")
async def audit_log(
    web: Web = Auditor,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: str | None = None,
    until: str | None = None,
    before_id: int | None = None,
) -> Response:
    start, end = audit_view.day_bounds(since, until)
    filters = {"actor": actor, "action": action, "object": target, "from": start, "to": end}
    page = await web.api.get("/api/admin/audit-log", limit=100, before_id=before_id, **filters)
    chain = await web.api.get("/api/admin/audit-log/verify")
    query = {"actor": actor, "action": action, "target": target, "since": since, "until": until}
    return web.render(
        "audit.html",
        entries=[audit_view.describe(e) for e in page["items"]],
        next_before_id=page["next_before_id"],
        chain=chain,
        actions=audit_view.ACTION_CHOICES,
        query={k: v or "" for k, v in query.items()},
        query_string=urlencode({k: v for k, v in query.items() if v}),
    )


@router.post("/ui/audit/verifications")
async def audit_full_verification(web: Web = Auditor) -> Response:
    """Starts the whole chain's check in the background; the fragment follows its progress."""
    job = await web.api.post("/api/admin/audit-log/verifications")
    return web.render("fragments/audit_verification.html", job=job)


@router.get("/ui/audit/verifications/{verification_id}")
async def audit_full_verification_progress(verification_id: str, web: Web = Auditor) -> Response:
    try:
        job = await web.api.get(f"/api/admin/audit-log/verifications/{verification_id}")
    except ApiError as exc:  # started on another gateway replica, or this one restarted
        return web.render("fragments/audit_verification.html", job=None, error=exc.detail)
    return web.render("fragments/audit_verification.html", job=job)


@router.get("/ui/audit/export")
async def audit_export(
    web: Web = Auditor,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Response:
    start, end = audit_view.day_bounds(since, until)
    params = {"actor": actor, "action": action, "object": target, "from": start, "to": end}
    answer = await web.api.raw("GET", "/api/admin/audit-log/export", params={k: v for k, v in params.items() if v})
    return as_download(answer)
