"""The knowledge base: writing and reviewing articles (every change a version), finding them in Chinese,
and what they did in the work (calls and tickets solved, filings spared, readers' verdicts)."""

import asyncio
import html
import re
import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from intake.calls.models import Call
from intake.knowledge import lifecycle, segmentation
from intake.knowledge.lifecycle import State
from intake.knowledge.models import Article, ArticleFeedback, ArticleUse, ArticleVersion
from intake.knowledge.schemas import (
    MAX_ARTICLE_CHARS,
    ArticleIn,
    ArticlePatch,
    FeedbackIn,
    SearchHit,
    SearchOut,
    StatsOut,
    TransitionIn,
    UseIn,
)
from intake.tickets.models import Ticket
from opsdesk_shared.auth import Principal
from opsdesk_shared.contracts.intake import KnowledgeArticleUsed, KnowledgeFilingSpared
from opsdesk_shared.errors import Conflict, Forbidden, NotFound, RuleViolation
from opsdesk_shared.messaging.outbox import add_event

PRODUCER = "intake"

CONTENT_FIELDS = (
    "title",
    "symptoms",
    "cause",
    "steps",
    "category",
    "subcategory",
    "equipment_class",
    "owning_system",
    "tags",
    "audience",
)
SOLVED_STATUSES = ("resolved", "closed")
# Below this trigram word similarity a "match" is noise (Chinese words share few trigrams).
TYPO_SIMILARITY = 0.3
# A typo needs a word to be mistyped in: two characters (望京 typed so far) have too few trigrams to be similar to
# anything, and scoring every article for them cost the suggestion box 120–230 ms a keystroke under load.
TYPO_MIN_CHARS = 3
SNIPPET_CHARS = 80


def now() -> datetime:
    return datetime.now(UTC)


async def _segment(article: Article) -> None:
    """The article's words for its search vector, cut in a worker thread: jieba is CPU work (a long article
    takes a while) that must not hold the event loop and every other request behind it."""
    article.title_seg, article.body_seg = await asyncio.to_thread(_words_of, article)


def _words_of(article: Article) -> tuple[str, str]:
    title = segmentation.index_words(article.title, " ".join(article.tags))
    body = segmentation.index_words(
        article.symptoms,
        article.cause,
        "\n".join(article.steps),
        article.equipment_class,
        article.owning_system,
        article.category,
        article.subcategory,
    )
    return title, body


def _content(article: Article) -> dict[str, Any]:
    return {name: getattr(article, name) for name in CONTENT_FIELDS}


def _record(
    session: AsyncSession, article: Article, principal: Principal, action: str, changed: list[str], note: str | None
) -> None:
    session.add(
        ArticleVersion(
            article_id=article.id,
            version=article.version,
            action=action,
            changed_fields=changed,
            content=_content(article),
            state=article.state,
            note=note,
            actor_id=principal.subject,
            actor_name=principal.username,
            at=article.updated_at,
        )
    )


def visible_to(principal: Principal) -> Any:
    """The SQL condition of the articles this principal may read."""
    if principal.has_any(*lifecycle.VENDOR_STAFF):
        return text("true")
    return and_(Article.audience == "published", Article.state == State.PUBLISHED)


async def get(session: AsyncSession, principal: Principal, article_id: UUID, *, lock: bool = False) -> Article:
    article = await session.get(Article, article_id, with_for_update=lock)
    if article is None or not lifecycle.may_read(article.audience, article.state, principal):
        raise NotFound(f"article {article_id} not found", code="knowledge.not_found")
    return article


async def read(session: AsyncSession, principal: Principal, article_id: UUID) -> tuple[Article, list[ArticleVersion]]:
    """The article and its history; one more view counted (a counter, not a change of the article: it is
    neither versioned nor in the audit trail)."""
    article = await get(session, principal, article_id)
    await session.execute(update(Article).where(Article.id == article_id).values(views=Article.views + 1))
    await session.refresh(article)
    versions = await session.execute(
        select(ArticleVersion).where(ArticleVersion.article_id == article_id).order_by(ArticleVersion.version.desc())
    )
    return article, list(versions.scalars())


async def create(session: AsyncSession, principal: Principal, body: ArticleIn) -> Article:
    if body.source_ticket_id is not None and await session.get(Ticket, body.source_ticket_id) is None:
        raise RuleViolation(
            f"no ticket {body.source_ticket_id}", field="source_ticket_id", code="knowledge.ticket_unknown"
        )
    at = now()
    number = await session.scalar(text("SELECT nextval('knowledge_article_number_seq')"))
    article = Article(
        number=f"KB-{number:06d}",
        **body.model_dump(exclude={"audience"}),
        audience=body.audience.value,
        state=State.DRAFT,
        version=1,
        author_id=principal.subject,
        author_name=principal.username,
        created_at=at,
        updated_at=at,
        title_seg="",
        body_seg="",
    )
    await _segment(article)
    session.add(article)
    await session.flush()
    _record(session, article, principal, "created", list(CONTENT_FIELDS), None)
    await session.flush()
    return article


async def edit(session: AsyncSession, principal: Principal, article_id: UUID, body: ArticlePatch) -> Article:
    article = await get(session, principal, article_id, lock=True)
    if not lifecycle.may_edit(article.state, principal):
        raise Forbidden(
            f"an article that is {article.state} is changed by its reviewers only", code="knowledge.edit_forbidden"
        )
    given = body.model_dump(exclude_unset=True, exclude={"note"})
    for required in ("title", "symptoms", "steps", "audience"):
        if required in given and given[required] is None:
            raise RuleViolation(f"{required} cannot be emptied", field=required, code="knowledge.required")
    changed = []
    for name, value in given.items():
        value = value.value if hasattr(value, "value") else value
        if getattr(article, name) != value:
            setattr(article, name, value)
            changed.append(name)
    if not changed:
        raise RuleViolation("nothing to change", field="body", code="knowledge.nothing_changed")
    size = len(article.title) + len(article.symptoms) + len(article.cause or "") + sum(map(len, article.steps))
    if size > MAX_ARTICLE_CHARS:
        raise RuleViolation(
            f"the article would be {size} characters long; at most {MAX_ARTICLE_CHARS}",
            field="body",
            code="knowledge.article_too_long",
            params={"size": size, "max_length": MAX_ARTICLE_CHARS},
        )
    await _segment(article)
    article.version += 1
    article.updated_at = now()
    _record(session, article, principal, "edited", changed, body.note)
    await session.flush()
    return article


async def transition(session: AsyncSession, principal: Principal, article_id: UUID, body: TransitionIn) -> Article:
    article = await get(session, principal, article_id, lock=True)
    step = lifecycle.move(article.state, body.action, principal)
    article.state = step.to
    article.version += 1
    article.updated_at = now()
    if step.to == State.PUBLISHED:
        article.published_at = article.updated_at
        article.reviewed_by = principal.username
    _record(session, article, principal, step.recorded_as, ["state"], body.note)
    await session.flush()
    return article


async def listing(
    session: AsyncSession,
    principal: Principal,
    *,
    state: str | None,
    limit: int,
    offset: int,
    number: str | None = None,
) -> list[Article]:
    query = select(Article).where(visible_to(principal))
    if state:
        query = query.where(Article.state == state)
    if number:
        query = query.where(Article.number == number.strip().upper())
    query = query.order_by(Article.updated_at.desc()).limit(limit).offset(offset)
    return list((await session.execute(query)).scalars())


# --- search -------------------------------------------------------------------------------------------


def _mark(source: str, words: list[str]) -> str:
    """`source` HTML-escaped, each occurrence of `words` (longest first) in <mark>."""
    if not words:
        return html.escape(source)
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)
    out, last = [], 0
    for found in pattern.finditer(source):
        out += [html.escape(source[last : found.start()]), "<mark>", html.escape(found.group()), "</mark>"]
        last = found.end()
    out.append(html.escape(source[last:]))
    return "".join(out).replace("</mark><mark>", "")  # neighbouring words read as one match


def _snippet(article: Article, words: list[str]) -> str:
    """The passage (symptoms, cause or a step) with the first of the query's words, cut around it."""
    passages = [article.symptoms, article.cause or "", *article.steps]
    lowered = [w.lower() for w in words]
    for passage in passages:
        at = min((i for w in lowered if (i := passage.lower().find(w)) >= 0), default=-1)
        if at >= 0:
            start = max(0, at - SNIPPET_CHARS // 3)
            piece = passage[start : start + SNIPPET_CHARS]
            prefix = "…" if start else ""
            suffix = "…" if start + SNIPPET_CHARS < len(passage) else ""
            return prefix + _mark(piece, words) + suffix
    first = article.symptoms
    return html.escape(first[:SNIPPET_CHARS]) + ("…" if len(first) > SNIPPET_CHARS else "")


# A word in more than this share of the articles selects nothing by itself when the query has rarer words.
COMMON_WORD_SHARE = 0.3
COMMON_WORDS_TTL_S = 300.0
_common_words: dict[str, tuple[float, dict[str, float]]] = {}


def selecting_words(words: list[str], shares: dict[str, float]) -> list[str] | None:
    """The query's words that select articles when some of its words are common (in more than
    COMMON_WORD_SHARE of the articles) and some are not; None when all of them select (none is common, or every
    one is: a query of common words alone finds what they find)."""
    rare = [w for w in words if shares.get(w, 0.0) <= COMMON_WORD_SHARE]
    return rare if rare and len(rare) < len(words) else None


async def common_words(session: AsyncSession) -> dict[str, float]:
    """The words in the largest shares of articles, from the statistics ANALYZE keeps of the search vector
    (PostgreSQL's most common elements; none before the first ANALYZE), read again every few minutes."""
    bind = session.bind
    key = str(bind.url) if isinstance(bind, AsyncEngine) else ""
    cached = _common_words.get(key)
    if cached is not None and time.monotonic() - cached[0] < COMMON_WORDS_TTL_S:
        return cached[1]
    rows = await session.execute(
        text(
            "SELECT e, f FROM pg_stats, unnest(most_common_elems::text::text[], most_common_elem_freqs) AS u(e, f)"
            " WHERE schemaname = current_schema() AND tablename = 'knowledge_article' AND attname = 'search_vector'"
            " AND e IS NOT NULL"
        )
    )
    shares = {str(e): float(f) for e, f in rows.all()}
    _common_words[key] = (time.monotonic(), shares)
    return shares


def _scope(query: Select[Article, float], principal: Principal, states: list[str]) -> Select[Article, float]:
    return query.where(visible_to(principal), Article.state.in_(states))


async def search(
    session: AsyncSession, principal: Principal, q: str, *, limit: int, states: list[str] | None = None
) -> SearchOut:
    """Articles matching the query's words, best first: full-text rank (title words weigh more) raised by
    how often the article solved calls and tickets; when no word matches, trigram similarity (typos)."""
    states = states or [State.PUBLISHED]
    words = await asyncio.to_thread(segmentation.query_words, q)
    rows: list[tuple[Article, float]] = []
    fallback = False
    if words:
        tsq = func.to_tsquery("simple", segmentation.tsquery(words))
        search_vector = Article.search_vector
        score = func.ts_rank(search_vector, tsq) * (1 + 0.25 * func.ln(1 + Article.uses))

        async def matching(match_words: list[str]) -> list[tuple[Article, float]]:
            query = (
                select(Article, score.label("score"))
                .where(search_vector.op("@@")(func.to_tsquery("simple", segmentation.tsquery(match_words))))
                .order_by(score.desc(), Article.uses.desc(), Article.updated_at.desc())
                .limit(limit)
            )
            return [(a, float(s)) for a, s in (await session.execute(_scope(query, principal, states))).all()]

        # Words most articles contain (居住证, 系统, 打印 in this desk's base) rank but do not select when the query
        # has rarer ones: ranking every article that has "居住证" costs as many rows as the base has, and
        # those that have only the common words rank last anyway. Nothing found by the rarer words: all of them.
        rare = selecting_words(words, await common_words(session))
        rows = await matching(rare) if rare else []
        if not rows:
            rows = await matching(words)
    plain = q.strip().lower()
    if not rows and len(plain) >= TYPO_MIN_CHARS:
        fallback = True
        await session.execute(text(f"SET LOCAL pg_trgm.word_similarity_threshold = {TYPO_SIMILARITY}"))
        search_plain = Article.search_plain
        similarity = func.word_similarity(plain, search_plain)
        query = (
            select(Article, similarity.label("score"))
            .where(literal(plain).op("<%")(search_plain))
            .order_by(similarity.desc(), Article.uses.desc())
            .limit(limit)
        )
        rows = [(a, float(s)) for a, s in (await session.execute(_scope(query, principal, states))).all()]
    marks = words if not fallback else [w for w in words if len(w) > 1]
    items = [
        SearchHit(
            id=a.id,
            number=a.number,
            title=a.title,
            state=a.state,
            audience=a.audience,
            title_html=_mark(a.title, marks),
            snippet_html=_snippet(a, marks),
            rank=round(score, 6),
            uses=a.uses,
            updated_at=a.updated_at,
            matched_by="similarity" if fallback else "words",
        )
        for a, score in rows
    ]
    return SearchOut(query=q, words=words, fallback=fallback, items=items)


# --- in the work ----------------------------------------------------------------------------------------


async def _published(session: AsyncSession, principal: Principal, article_id: UUID) -> Article:
    article = await get(session, principal, article_id, lock=True)
    if article.state != State.PUBLISHED:
        raise Conflict(f"article {article.number} is {article.state}, not published", code="knowledge.not_published")
    return article


async def use(session: AsyncSession, principal: Principal, article_id: UUID, body: UseIn) -> tuple[Article, bool]:
    """The call or ticket was solved with the article: the link, once (repeating it changes nothing);
    returns the article and whether the link is new."""
    if (body.call_id is None) == (body.ticket_id is None):
        raise RuleViolation("name either call_id or ticket_id", field="call_id", code="knowledge.use_target")
    article = await _published(session, principal, article_id)
    if body.call_id is not None and await session.get(Call, body.call_id) is None:
        raise RuleViolation(f"no call {body.call_id}", field="call_id", code="knowledge.call_unknown")
    if body.ticket_id is not None and await session.get(Ticket, body.ticket_id) is None:
        raise RuleViolation(f"no ticket {body.ticket_id}", field="ticket_id", code="knowledge.ticket_unknown")
    target = ArticleUse.call_id == body.call_id if body.call_id else ArticleUse.ticket_id == body.ticket_id
    if await session.scalar(select(ArticleUse.id).where(ArticleUse.article_id == article_id, target)):
        return article, False
    at = now()
    session.add(
        ArticleUse(
            article_id=article_id,
            call_id=body.call_id,
            ticket_id=body.ticket_id,
            actor_id=principal.subject,
            actor_name=principal.username,
            at=at,
        )
    )
    article.uses += 1
    await session.flush()
    # Reporting counts it (first-call resolution by article), in the same transaction as the link.
    await add_event(
        session,
        KnowledgeArticleUsed(
            article_id=article.id,
            article_number=article.number,
            call_id=body.call_id,
            ticket_id=body.ticket_id,
            at=at,
        ),
        producer=PRODUCER,
    )
    return article, True


async def feedback(session: AsyncSession, principal: Principal, article_id: UUID, body: FeedbackIn) -> Article:
    """A reader's verdict, one per reader: a changed mind moves the counters, the same verdict again not."""
    article = await _published(session, principal, article_id)
    before = await session.get(ArticleFeedback, (article_id, principal.subject, "vote"))
    if before is not None and before.helpful == body.helpful:
        return article
    if before is not None:
        if before.helpful:
            article.helpful -= 1
        else:
            article.not_helpful -= 1
        before.helpful, before.at = body.helpful, now()
    else:
        session.add(
            ArticleFeedback(
                article_id=article_id, user_id=principal.subject, kind="vote", helpful=body.helpful, at=now()
            )
        )
    if body.helpful:
        article.helpful += 1
    else:
        article.not_helpful += 1
    await session.flush()
    return article


async def deflect(session: AsyncSession, principal: Principal, article_id: UUID) -> Article:
    """A requester read the article and did not file: counted once per requester and article."""
    article = await _published(session, principal, article_id)
    added = await session.execute(
        insert(ArticleFeedback)
        .values(article_id=article_id, user_id=principal.subject, kind="deflection", helpful=True, at=now())
        .on_conflict_do_nothing()
        .returning(ArticleFeedback.article_id)
    )
    if added.first() is not None:
        article.deflections += 1
        await session.flush()
        await add_event(
            session,
            KnowledgeFilingSpared(article_id=article.id, article_number=article.number, at=now()),
            producer=PRODUCER,
        )
    return article


async def draft_from_ticket(session: AsyncSession, principal: Principal, ticket_id: UUID) -> Article:
    """A solved ticket as a draft article in one step: its title, its description as the symptoms, its
    resolution as the first step; the writer completes and submits it."""
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found", code="ticket.not_found")
    if ticket.status not in SOLVED_STATUSES or not ticket.resolution_summary:
        raise Conflict(
            f"ticket {ticket.number} is {ticket.status}: only a resolved ticket's solution makes an article",
            code="knowledge.ticket_not_resolved",
        )
    title = ticket.title.strip()
    body = ArticleIn(
        title=title if len(title) >= 2 else f"{ticket.number} {title}",  # an article's title has two characters
        symptoms=ticket.description.strip()[:5000] or ticket.title,
        steps=[ticket.resolution_summary.strip()[:1000] or ticket.resolution_summary[:1000]],
        category=ticket.category,
        subcategory=ticket.subcategory,
        tags=[],
        source_ticket_id=ticket.id,
    )
    return await create(session, principal, body)


async def stats(session: AsyncSession) -> StatsOut:
    by_state = dict((await session.execute(select(Article.state, func.count()).group_by(Article.state))).all())
    totals = (
        await session.execute(
            select(
                func.coalesce(func.sum(Article.deflections), 0),
                func.coalesce(func.sum(Article.helpful), 0),
                func.coalesce(func.sum(Article.not_helpful), 0),
                func.coalesce(func.sum(Article.views), 0),
            )
        )
    ).one()
    in_calls = await session.scalar(select(func.count()).where(ArticleUse.call_id.is_not(None)))
    in_tickets = await session.scalar(select(func.count()).where(ArticleUse.ticket_id.is_not(None)))
    return StatsOut(
        articles_by_state={str(k): int(v) for k, v in by_state.items()},
        uses_in_calls=in_calls or 0,
        uses_in_tickets=in_tickets or 0,
        deflections=int(totals[0]),
        helpful=int(totals[1]),
        not_helpful=int(totals[2]),
        views=int(totals[3]),
    )
