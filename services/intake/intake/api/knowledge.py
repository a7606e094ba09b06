"""/api/knowledge: the knowledge base (知识库). Published articles are every signed-in user's, internal ones
the vendor's staff's; operators, dispatchers and engineers write drafts, the project manager (today: admins
and dispatchers) reviews and publishes. Every write goes through the gateway's audit log with its
before/after (opsdesk_shared.audit_trail)."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, status

from intake.knowledge import lifecycle, service
from intake.knowledge.lifecycle import State
from intake.knowledge.schemas import (
    ArticleDetail,
    ArticleIn,
    ArticleOut,
    ArticlePatch,
    FeedbackIn,
    SearchOut,
    StatsOut,
    TransitionIn,
    UseIn,
    VersionOut,
)
from opsdesk_shared.auth import CurrentPrincipal, Principal, Role, require_roles
from opsdesk_shared.dependencies import ReadSession, Uow
from opsdesk_shared.errors import Forbidden

router = APIRouter(prefix="/api/knowledge", tags=["knowledge"])

Writer = Annotated[Principal, Depends(require_roles(*lifecycle.WRITERS))]
# "Solved with this article": those who close calls and tickets.
Solver = Annotated[Principal, Depends(require_roles(Role.HOTLINE_OPERATOR, Role.DISPATCHER, Role.ENGINEER, Role.ADMIN))]
StatsReader = Annotated[Principal, Depends(require_roles(*lifecycle.WRITERS, Role.SUPERVISOR))]
Query_ = Annotated[str, Query(min_length=1, max_length=200)]


def _out(article: object) -> ArticleOut:
    return ArticleOut.model_validate(article, from_attributes=True)


@router.get("/search", response_model=SearchOut)
async def search(
    q: Query_,
    principal: CurrentPrincipal,
    session: ReadSession,
    state: Annotated[State | None, Query(description="staff: articles in another state (the editor)")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> SearchOut:
    """Published articles matching `q`, best first, their matches in <mark>; `state` lets the vendor's staff
    search drafts and the rest too."""
    if state is not None and state != State.PUBLISHED and not principal.has_any(*lifecycle.VENDOR_STAFF):
        raise Forbidden("only the vendor's staff search unpublished articles", code="knowledge.state_forbidden")
    return await service.search(session, principal, q, limit=limit, states=[state or State.PUBLISHED])


@router.get("/suggest", response_model=SearchOut)
async def suggest(q: Query_, principal: CurrentPrincipal, session: ReadSession) -> SearchOut:
    """As the hotline operator or a requester types the problem: the five best published articles."""
    return await service.search(session, principal, q, limit=5)


@router.get("/stats", response_model=StatsOut)
async def stats(principal: StatsReader, session: ReadSession) -> StatsOut:
    """Articles by state; calls and tickets solved with an article; filings spared; readers' verdicts."""
    return await service.stats(session)


@router.get("/articles", response_model=list[ArticleOut])
async def list_articles(
    principal: CurrentPrincipal,
    session: ReadSession,
    state: State | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    number: Annotated[str | None, Query(max_length=20, description="one article by its number, KB-000123")] = None,
) -> list[ArticleOut]:
    articles = await service.listing(session, principal, state=state, limit=limit, offset=offset, number=number)
    return [_out(a) for a in articles]


@router.post("/articles", response_model=ArticleOut, status_code=status.HTTP_201_CREATED)
async def create_article(body: ArticleIn, principal: Writer, uow: Uow) -> ArticleOut:
    return _out(await service.create(uow, principal, body))


@router.post("/articles/from-ticket/{ticket_id}", response_model=ArticleOut, status_code=status.HTTP_201_CREATED)
async def draft_from_ticket(ticket_id: UUID, principal: Writer, uow: Uow) -> ArticleOut:
    """A resolved ticket as a draft article, its solution as the first step."""
    return _out(await service.draft_from_ticket(uow, principal, ticket_id))


@router.get("/articles/{article_id}", response_model=ArticleDetail)
async def read_article(article_id: UUID, principal: CurrentPrincipal, uow: Uow) -> ArticleDetail:
    """The article (one more view counted) and, for the vendor's staff, its versions newest first."""
    article, versions = await service.read(uow, principal, article_id)
    detail = ArticleDetail.model_validate(article, from_attributes=True)
    if principal.has_any(*lifecycle.VENDOR_STAFF):
        detail.versions = [VersionOut.model_validate(v, from_attributes=True) for v in versions]
    return detail


@router.patch("/articles/{article_id}", response_model=ArticleOut)
async def edit_article(article_id: UUID, body: ArticlePatch, principal: Writer, uow: Uow) -> ArticleOut:
    return _out(await service.edit(uow, principal, article_id, body))


@router.post("/articles/{article_id}/transitions", response_model=ArticleOut)
async def transition(article_id: UUID, body: TransitionIn, principal: Writer, uow: Uow) -> ArticleOut:
    """submit (draft → in_review, writers); publish or return (in_review → published | draft, reviewers);
    retire (published → retired) and reopen (→ draft), reviewers."""
    return _out(await service.transition(uow, principal, article_id, body))


@router.post("/articles/{article_id}/uses", response_model=ArticleOut)
async def solved_with(article_id: UUID, body: UseIn, principal: Solver, uow: Uow) -> ArticleOut:
    """The call or ticket was solved with this article; the same link again changes nothing."""
    article, _ = await service.use(uow, principal, article_id, body)
    return _out(article)


@router.post("/articles/{article_id}/feedback", response_model=ArticleOut)
async def give_feedback(article_id: UUID, body: FeedbackIn, principal: CurrentPrincipal, uow: Uow) -> ArticleOut:
    """Helpful or not, one verdict per reader (the latest counts)."""
    return _out(await service.feedback(uow, principal, article_id, body))


@router.post("/articles/{article_id}/deflections", response_model=ArticleOut)
async def deflected(
    article_id: UUID,
    principal: Annotated[Principal, Depends(require_roles(Role.REQUESTER))],
    uow: Uow,
) -> ArticleOut:
    """A requester read the article before filing and no longer needs to file: counted once."""
    return _out(await service.deflect(uow, principal, article_id))
