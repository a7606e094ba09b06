"""The knowledge base in the reports: calls and tickets solved with an article, and filings an article
spared, counted per local day from intake's events (each once, whatever the redeliveries)."""

import uuid
from datetime import UTC, datetime
from typing import Any

from opsdesk_shared.contracts.intake import KnowledgeArticleUsed, KnowledgeFilingSpared
from opsdesk_shared.testing.workers import eventually, publish

from .support.harness import Reporting

PERIOD = {"from": "2032-04-05", "to": "2032-04-11"}  # a week no other test touches
AT = datetime(2032, 4, 6, 2, 0, tzinfo=UTC)


async def test_calls_and_tickets_solved_by_article_and_spared_filings_are_in_the_summary(
    reporting: Reporting,
) -> None:
    article = uuid.uuid4()
    used_in_call = KnowledgeArticleUsed(article_id=article, article_number="KB-000001", call_id=uuid.uuid4(), at=AT)
    await publish(
        reporting.env.amqp_url,
        used_in_call,
        KnowledgeArticleUsed(article_id=article, article_number="KB-000001", call_id=uuid.uuid4(), at=AT),
        KnowledgeArticleUsed(article_id=article, article_number="KB-000001", ticket_id=uuid.uuid4(), at=AT),
        KnowledgeFilingSpared(article_id=article, article_number="KB-000001", at=AT),
    )

    async def figures() -> dict[str, Any] | None:
        traffic = (await reporting.get("/api/reports/summary", **PERIOD)).json()["traffic"]
        return traffic if traffic["filings_spared"] == 1 and traffic["tickets_solved_by_article"] == 1 else None

    traffic = await eventually(figures, timeout=30)
    assert traffic["calls_solved_by_article"] == 2
    csv = (await reporting.get("/api/reports/summary", format="csv", **PERIOD)).text
    assert "知识库解决来电 Calls solved with an article" in csv
