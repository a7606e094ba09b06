"""A ticket's attachment opened from any page: fetched through the API as the signed-in user, so whoever may
read the ticket may open it and nobody else (intake answers 404 outside the reader's scope). Images open in
the page (`inline`), anything else downloads; the browser is told not to guess the type."""

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.web.api_client import as_download
from gateway.web.context import WebPage

router = APIRouter(include_in_schema=False)


@router.get("/ui/tickets/{ticket_id}/attachments/{attachment_id}")
async def open_attachment(ticket_id: str, attachment_id: str, web: WebPage) -> Response:
    answer = await web.api.raw("GET", f"/api/tickets/{ticket_id}/attachments/{attachment_id}")
    if answer.status_code >= 400:
        raise web.api.error_of(answer)  # the error page, in the user's language
    response = as_download(answer)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
