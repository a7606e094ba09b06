"""The knowledge base in the web UI: the staff's list, search and editor (/ui/knowledge), the articles
suggested beside the ticket form as the problem is typed (hotline and portal), "solved with this article"
on the hotline, a requester's verdict and the filing it spared, and a resolved ticket made a draft."""

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.web.api_client import ApiError
from gateway.web.context import Web, role_guard
from gateway.web.pages.forms import form_fields
from gateway.web.pages.tickets import units

router = APIRouter(include_in_schema=False)
# The vendor's staff, who write articles (the API decides who reviews).
Staff = role_guard("hotline_operator", "dispatcher", "engineer", "project_manager", "admin")
Filer = role_guard("requester", "hotline_operator")
Operator = role_guard("hotline_operator")
Requester = role_guard("requester")
STATES = ("draft", "in_review", "published", "retired")
ACTIONS = {
    "draft": ("submit",),
    "in_review": ("publish", "return"),
    "published": ("retire", "reopen"),
    "retired": ("reopen",),
}
MAX_QUERY = 200  # the API's limit; the problem's last words say most
MIN_QUERY = 2


def _query_of(fields: dict[str, str]) -> str:
    text = " ".join(part for part in (fields.get("title", ""), fields.get("description", "")) if part).strip()
    return text[-MAX_QUERY:]


def _article_body(fields: dict[str, str]) -> dict[str, Any]:
    """The editor's fields as the API's article: steps one a line, tags split on commas or spaces."""
    body: dict[str, Any] = {
        name: fields.get(name, "")
        for name in ("title", "symptoms", "cause", "category", "subcategory", "equipment_class", "owning_system")
    }
    body = {k: (v or None) if k not in ("title", "symptoms") else v for k, v in body.items()}
    body["steps"] = [line.strip() for line in fields.get("steps", "").splitlines() if line.strip()]
    body["tags"] = [t for t in fields.get("tags", "").replace("，", ",").replace(",", " ").split() if t]
    body["audience"] = fields.get("audience") or "internal"
    return body


# --- beside the ticket form ---------------------------------------------------------------------------


@router.get("/ui/knowledge/suggest")
async def suggest(web: Web = Filer, title: str = "", description: str = "") -> Response:
    """The published articles matching what has been typed so far (title and problem), five at most."""
    query = _query_of({"title": title, "description": description})
    hits: list[dict[str, Any]] = []
    if len(query) >= MIN_QUERY:
        try:
            hits = (await web.api.get("/api/knowledge/suggest", q=query))["items"]
        except ApiError:
            hits = []  # the knowledge base is away: the form works without it
    return web.render("fragments/knowledge_suggestions.html", hits=hits, query=query)


@router.get("/ui/knowledge/{article_id}/card")
async def card(article_id: str, web: Web = Filer) -> Response:
    """One suggested article opened in place: its cause and steps (a view counted)."""
    article = await web.api.get(f"/api/knowledge/articles/{article_id}")
    return web.render("fragments/knowledge_card.html", article=article)


@router.post("/ui/hotline/knowledge/{article_id}/solve")
async def solve_call(article_id: str, web: Web = Operator) -> Response:
    """The caller's problem answered from the article: the call logged (or, from a screen pop, completed)
    as answered on the phone and linked to the article; the form comes back empty for the next caller."""
    fields = await form_fields(web.request)
    notes = _query_of(fields)[:5000] or None
    try:
        body: dict[str, Any] = {"outcome": "consultation_answered", "notes": notes}
        if fields.get("call_id"):
            call = await web.api.call("PATCH", f"/api/calls/{fields['call_id']}", json=body)
        else:
            body.update(caller_phone=fields.get("requester_phone", ""), started_at=datetime.now(UTC).isoformat())
            call = await web.api.post("/api/calls", body)
        article = await web.api.post(f"/api/knowledge/articles/{article_id}/uses", {"call_id": call["id"]})
    except ApiError as exc:
        response = web.render("fragments/knowledge_problem.html", status_code=422, error=exc.detail)
        response.headers["HX-Retarget"] = f"#kb-problem-{article_id}"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    response = web.render(
        "fragments/knowledge_solved.html", article=article, call=call, units=await units(web), values={}, errors={}
    )
    response.headers["HX-Trigger"] = "calls-changed"
    return response


@router.post("/ui/knowledge/{article_id}/feedback")
async def feedback(article_id: str, web: Web = Requester) -> Response:
    fields = await form_fields(web.request)
    article = await web.api.post(
        f"/api/knowledge/articles/{article_id}/feedback", {"helpful": fields.get("helpful") == "1"}
    )
    return web.render("fragments/knowledge_card.html", article=article, voted=True)


@router.post("/ui/knowledge/{article_id}/deflect")
async def deflect(article_id: str, web: Web = Requester) -> Response:
    """The requester's problem is solved by the article: no ticket filed, the spared filing counted."""
    article = await web.api.post(f"/api/knowledge/articles/{article_id}/deflections", {})
    return web.render("fragments/knowledge_card.html", article=article, deflected=True)


# --- the staff's page ----------------------------------------------------------------------------------


async def _list(web: Web, q: str, state: str) -> tuple[list[dict[str, Any]], bool]:
    """Search results (marked) when there is a query, else the latest articles; and whether the typo
    fallback found them."""
    if q:
        found = await web.api.get("/api/knowledge/search", q=q[:MAX_QUERY], state=state or "published", limit=50)
        return list(found["items"]), bool(found["fallback"])
    articles = await web.api.get("/api/knowledge/articles", state=state or None, limit=100)
    return [{**a, "title_html": None, "snippet_html": None} for a in articles], False


@router.get("/ui/knowledge")
async def page(web: Web = Staff, q: str = "", state: str = "") -> Response:
    items, fallback = await _list(web, q.strip(), state)
    try:
        stats = await web.api.get("/api/knowledge/stats")
    except ApiError:
        stats = None
    return web.render(
        "knowledge.html",
        items=items,
        fallback=fallback,
        q=q,
        state=state,
        states=STATES,
        stats=stats,
        values={},
        errors={},
        error=None,
    )


@router.get("/ui/knowledge/results")
async def results(web: Web = Staff, q: str = "", state: str = "") -> Response:
    items, fallback = await _list(web, q.strip(), state)
    return web.render("fragments/knowledge_rows.html", items=items, fallback=fallback, q=q)


@router.post("/ui/knowledge")
async def create(web: Web = Staff) -> Response:
    fields = await form_fields(web.request)
    try:
        article = await web.api.post("/api/knowledge/articles", _article_body(fields))
    except ApiError as exc:
        return web.render(
            "fragments/knowledge_editor.html",
            status_code=422,
            article=None,
            values=fields,
            errors=exc.field_errors(),
            error=exc.detail,
        )
    return Response(status_code=204, headers={"HX-Redirect": f"/ui/knowledge/{article['id']}"})


# Who reviews (intake/knowledge/lifecycle.py decides; the page only hides what would be refused).
REVIEWERS = ("admin", "dispatcher", "project_manager")


@router.get("/ui/knowledge/{article_id}")
async def article_page(article_id: str, web: Web = Staff) -> Response:
    article = await web.api.get(f"/api/knowledge/articles/{article_id}")
    reviewer = web.session is not None and web.session.has_any(*REVIEWERS)
    return web.render(
        "knowledge_article.html",
        article=article,
        actions=[a for a in ACTIONS[article["state"]] if reviewer or a == "submit"],
        editable=reviewer or article["state"] == "draft",
        values=_values(article),
        errors={},
        error=None,
    )


def _values(article: dict[str, Any]) -> dict[str, str]:
    return {
        **{
            k: article.get(k) or ""
            for k in (
                "title",
                "symptoms",
                "cause",
                "category",
                "subcategory",
                "equipment_class",
                "owning_system",
                "audience",
            )
        },
        "steps": "\n".join(article["steps"]),
        "tags": " ".join(article["tags"]),
    }


@router.post("/ui/knowledge/{article_id}")
async def edit(article_id: str, web: Web = Staff) -> Response:
    fields = await form_fields(web.request)
    current = await web.api.get(f"/api/knowledge/articles/{article_id}")
    wanted = _article_body(fields)
    changes = {k: v for k, v in wanted.items() if v != current.get(k)}
    if fields.get("note"):
        changes["note"] = fields["note"]
    try:
        await web.api.call("PATCH", f"/api/knowledge/articles/{article_id}", json=changes)
    except ApiError as exc:
        return web.render(
            "fragments/knowledge_editor.html",
            status_code=422,
            article=current,
            values=fields,
            errors=exc.field_errors(),
            error=exc.detail,
        )
    return Response(status_code=204, headers={"HX-Redirect": f"/ui/knowledge/{article_id}"})


@router.post("/ui/knowledge/{article_id}/transition")
async def transition(article_id: str, web: Web = Staff) -> Response:
    fields = await form_fields(web.request)
    try:
        await web.api.post(
            f"/api/knowledge/articles/{article_id}/transitions",
            {"action": fields.get("action", ""), **({"note": fields["note"]} if fields.get("note") else {})},
        )
    except ApiError as exc:
        return web.render("fragments/knowledge_problem.html", status_code=422, error=exc.detail)
    return Response(status_code=204, headers={"HX-Redirect": f"/ui/knowledge/{article_id}"})


@router.post("/ui/tickets/{ticket_id}/to-article")
async def ticket_to_article(ticket_id: str, web: Web = Staff) -> Response:
    """A resolved ticket as a draft article in one step; the editor opens on it."""
    try:
        article = await web.api.post(f"/api/knowledge/articles/from-ticket/{ticket_id}", {})
    except ApiError as exc:
        return web.render("fragments/knowledge_problem.html", status_code=422, error=exc.detail)
    return Response(status_code=204, headers={"HX-Redirect": f"/ui/knowledge/{article['id']}"})


@router.post("/ui/tickets/{ticket_id}/solved-with")
async def ticket_solved_with(ticket_id: str, web: Web = Staff) -> Response:
    """ "Solved with this article" on a ticket: the article named by its number is linked to the ticket."""
    fields = await form_fields(web.request)
    number = fields.get("article_number", "")
    try:
        found = await web.api.get("/api/knowledge/articles", number=number, state="published") if number else []
        if not found:
            return web.render(
                "fragments/knowledge_problem.html", status_code=422, error=web._("没有该编号的已发布文章")
            )
        article = await web.api.post(f"/api/knowledge/articles/{found[0]['id']}/uses", {"ticket_id": ticket_id})
    except ApiError as exc:
        return web.render("fragments/knowledge_problem.html", status_code=422, error=exc.detail)
    return web.render("fragments/knowledge_linked.html", article=article)
