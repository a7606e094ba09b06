"""One asset's page (`/ui/assets/{tag}`, what its label's QR code opens): its facts, tickets and work orders,
inspections and findings, status and technical-ledger changes, as far as the reader's role shows them (the
assets service decides); its label as PDF, a sheet of labels for what the ledger's filter finds, and the
phone view's scan or typed tag that opens the page."""

from urllib.parse import quote, unquote, urlsplit

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from gateway.web.api_client import as_download
from gateway.web.context import Web, role_guard
from gateway.web.pages.assets import chosen

router = APIRouter(include_in_schema=False)
# Requesters too: a station's clerk may scan the label on their own machine; the service scopes what they see.
Readers = role_guard("dispatcher", "admin", "supervisor", "engineer", "hotline_operator", "requester")
LEDGER_READERS = ("dispatcher", "admin", "supervisor", "engineer", "hotline_operator")
PAGE_PATH = "/ui/assets/"
MOST_LABELS = 960  # the assets service's limit: 40 A4 sheets


def tag_from(scanned: str) -> str:
    """The tag a scanned code or a typed entry names: a label's URL (this desk's or any host's, only its path
    is read, so a code can never send the phone elsewhere) or the tag itself, trimmed and upper case."""
    text = scanned.strip()
    path = urlsplit(text).path if "://" in text else text
    if PAGE_PATH in path:
        path = path.split(PAGE_PATH, 1)[1].split("/", 1)[0]
    return unquote(path).strip().upper()


@router.get("/ui/assets-find")
async def find(web: Web = Readers, tag: str = "") -> Response:
    found = tag_from(tag)
    if not found:
        return RedirectResponse(web.request.headers.get("referer") or "/", status_code=303)
    return RedirectResponse(PAGE_PATH + quote(found, safe=""), status_code=303)


@router.get("/ui/assets-labels")
async def label_sheet(web: Web = Readers) -> Response:
    """A4 sheets of labels for the ledger's current filter (a site, a room…)."""
    params = chosen(web.request.query_params)
    limit = web.request.query_params.get("limit", "")
    if limit.isdigit():  # the ledger asks for as many labels as its filter found
        params["limit"] = str(min(int(limit), MOST_LABELS))
    answer = await web.api.raw("GET", "/api/assets/labels", params=params)
    if answer.status_code >= 400:
        raise web.api.error_of(answer)
    return as_download(answer)


@router.get("/ui/assets/{tag:path}/label")
async def asset_label(tag: str, web: Web = Readers) -> Response:
    answer = await web.api.raw("GET", f"/api/assets/by-tag/{quote(tag, safe='')}/label")
    if answer.status_code >= 400:
        raise web.api.error_of(answer)
    return as_download(answer)


@router.get("/ui/assets/{tag:path}")
async def asset_page(tag: str, web: Web = Readers) -> Response:
    history = await web.api.get(f"/api/assets/by-tag/{quote(tag, safe='')}/history")
    return web.render(
        "asset_page.html",
        asset=history["asset"],
        tickets=history["tickets"],
        findings=history["findings"],
        inspections=history["inspections"],
        technical=history["technical"],
        ledger_reader=web.session is not None and web.session.has_any(*LEDGER_READERS),
    )
