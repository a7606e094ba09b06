"""The project manager's improvement measures (`/ui/measures`, 改进措施): the measures by state (those awaiting
review first), one measure with its problem, proposal, where it came from and every step so far (who, when,
what was said), and the steps the signed-in person may take now — review with a comment, report to the
bureau, plan with a date, record done, verify. The assets service decides (assets/measures/rules.py); the page
offers only the steps it lists for this person, and shows a refused one's reason beside the form."""

from collections import Counter
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.web.api_client import ApiError
from gateway.web.context import Web, role_guard
from gateway.web.i18n import N_
from gateway.web.pages.forms import form_fields

router = APIRouter(prefix="/ui/measures", include_in_schema=False)
Readers = role_guard("project_manager", "supervisor", "dispatcher", "engineer", "admin")
PROPOSERS = ("project_manager", "dispatcher", "engineer")
# The order of the tabs: what waits for the project manager first, what is finished last.
STATES = {
    "proposed": N_("待审核"),
    "accepted": N_("已采纳"),
    "reported": N_("已上报甲方"),
    "planned": N_("已计划"),
    "done": N_("已完成"),
    "verified": N_("已验证"),
    "rejected": N_("未采纳"),
}
ACTIONS = {
    "propose": N_("提出"),
    "accept": N_("采纳"),
    "reject": N_("不采纳"),
    "report": N_("上报甲方项目负责人"),
    "plan": N_("确定计划日期"),
    "complete": N_("记录已完成"),
    "verify": N_("验证通过"),
}


def _page_context(web: Web, **extra: Any) -> dict[str, Any]:
    proposer = web.session is not None and web.session.has_any(*PROPOSERS)
    return {"states": STATES, "actions_label": ACTIONS, "proposer": proposer, "errors": {}, "values": {}, **extra}


async def _list(web: Web, state: str | None, **extra: Any) -> dict[str, Any]:
    everything = await web.api.get("/api/measures")
    counts = Counter(m["state"] for m in everything)
    # The project manager lands on what awaits their review; others on everything.
    if state is None:
        reviewer = web.session is not None and web.session.has_any("project_manager")
        state = "proposed" if reviewer else "all"
    shown = everything if state == "all" else [m for m in everything if m["state"] == state]
    return _page_context(web, measures=shown, counts=counts, total=len(everything), state=state, **extra)


@router.get("")
async def measures_page(web: Web = Readers, state: str | None = None) -> Response:
    return web.render("measures.html", **await _list(web, state if state in (*STATES, "all") else None))


@router.post("")
async def propose(web: Web = Readers) -> Response:
    fields = await form_fields(web.request)
    body = {k: (fields.get(k) or "").strip() for k in ("title", "problem", "proposal")}
    for origin in ("finding_id", "round_id"):
        if fields.get(origin):
            body[origin] = fields[origin]
    try:
        measure = await web.api.post("/api/measures", body)
    except ApiError as exc:
        view = await _list(web, None, error=exc.detail, errors=exc.field_errors(), values=fields)
        return web.render("measures.html", status_code=422, **view)
    return Response(status_code=303, headers={"Location": f"/ui/measures/{measure['id']}"})


async def _detail(web: Web, measure_id: str, **extra: Any) -> dict[str, Any]:
    measure = await web.api.get(f"/api/measures/{measure_id}")
    return _page_context(web, measure=measure, **extra)


@router.get("/{measure_id}")
async def measure_page(measure_id: str, web: Web = Readers) -> Response:
    return web.render("measure.html", **await _detail(web, measure_id))


@router.post("/{measure_id}/steps")
async def take_step(measure_id: str, web: Web = Readers) -> Response:
    fields = await form_fields(web.request)
    body: dict[str, Any] = {"action": fields.get("action", "")}
    if fields.get("version"):
        body["version"] = int(fields["version"]) if fields["version"].isdigit() else fields["version"]
    if (fields.get("comment") or "").strip():
        body["comment"] = fields["comment"].strip()
    if fields.get("planned_on"):
        body["planned_on"] = fields["planned_on"]
    try:
        await web.api.post(f"/api/measures/{measure_id}/steps", body)
    except ApiError as exc:
        view = await _detail(web, measure_id, error=exc.detail, errors=exc.field_errors(), values=fields,
                             failed=body["action"])  # fmt: skip
        return web.render("measure.html", status_code=422 if exc.status == 422 else 409, **view)
    return Response(status_code=303, headers={"Location": f"/ui/measures/{measure_id}"})
