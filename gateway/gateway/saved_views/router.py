"""/api/saved-views: the caller's own saved views. Nobody reads or removes another person's."""

from datetime import UTC, datetime
from typing import Annotated, Any, cast
from urllib.parse import parse_qsl, urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, status
from sqlalchemy import CursorResult, delete, select

from gateway.saved_views.models import SavedView
from gateway.saved_views.schemas import PageName, SavedViewIn, SavedViewOut
from opsdesk_shared.auth import Principal, Role, require_roles
from opsdesk_shared.dependencies import Uow
from opsdesk_shared.errors import NotFound, RuleViolation

router = APIRouter(prefix="/api/saved-views", tags=["saved views"])
# People, not system clients: a view belongs to someone who opens pages.
Person = Annotated[Principal, Depends(require_roles(*(r for r in Role if r != Role.SYSTEM)))]
MAX_VIEWS_PER_PAGE = 50


def _out(view: SavedView) -> SavedViewOut:
    return SavedViewOut.model_validate(view, from_attributes=True)


@router.get("", response_model=list[SavedViewOut])
async def list_views(principal: Person, uow: Uow, page: PageName | None = None) -> list[SavedViewOut]:
    query = select(SavedView).where(SavedView.user_id == principal.subject)
    if page:
        query = query.where(SavedView.page == page)
    rows = await uow.execute(query.order_by(SavedView.name))
    return [_out(v) for v in rows.scalars()]


@router.post("", response_model=SavedViewOut, status_code=status.HTTP_201_CREATED)
async def save_view(body: SavedViewIn, principal: Person, uow: Uow) -> SavedViewOut:
    """Saving under a name already used for that page replaces it: the person meant to update the view."""
    # Kept as a normalised query string, so the page replays exactly the filters (never a script or a path).
    query = urlencode([(k, v) for k, v in parse_qsl(body.query.lstrip("?")) if v and k != "page"])
    existing = (
        await uow.execute(
            select(SavedView).where(
                SavedView.user_id == principal.subject, SavedView.page == body.page, SavedView.name == body.name
            )
        )
    ).scalar()
    if existing is not None:
        existing.query = query
        return _out(existing)
    count = len(
        (
            await uow.execute(
                select(SavedView.id).where(SavedView.user_id == principal.subject, SavedView.page == body.page)
            )
        ).all()
    )
    if count >= MAX_VIEWS_PER_PAGE:
        raise RuleViolation(
            f"at most {MAX_VIEWS_PER_PAGE} saved views per page", field="name", code="saved_view.too_many"
        )
    view = SavedView(
        user_id=principal.subject, page=body.page, name=body.name, query=query, created_at=datetime.now(UTC)
    )
    uow.add(view)
    await uow.flush()
    return _out(view)


@router.delete("/{view_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_view(view_id: UUID, principal: Person, uow: Uow) -> None:
    statement = delete(SavedView).where(SavedView.id == view_id, SavedView.user_id == principal.subject)
    gone = cast(CursorResult[Any], await uow.execute(statement))  # a DELETE's result has a rowcount
    if not gone.rowcount:
        raise NotFound("no such saved view of yours", code="saved_view.not_found")
