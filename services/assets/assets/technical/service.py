"""The technical ledger's rules: an entry per changed fact, never an overwrite."""

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assets.ledger.models import Asset
from assets.technical.models import TechnicalEntry
from assets.technical.schemas import TechnicalChange
from opsdesk_shared.auth import Principal


async def history(session: AsyncSession, asset_id: UUID) -> list[TechnicalEntry]:
    rows = await session.execute(
        select(TechnicalEntry)
        .where(TechnicalEntry.asset_id == asset_id)
        .order_by(TechnicalEntry.recorded_at.desc(), TechnicalEntry.id)
    )
    return list(rows.scalars())


def current(entries: list[TechnicalEntry]) -> dict[str, TechnicalEntry]:
    """Each fact's newest entry, from a newest-first history; facts whose newest entry removed them are left out."""
    newest: dict[str, TechnicalEntry] = {}
    for entry in entries:
        newest.setdefault(entry.fact, entry)
    return {fact: entry for fact, entry in newest.items() if entry.value is not None}


async def record(
    session: AsyncSession, principal: Principal, asset: Asset, cmd: TechnicalChange
) -> list[TechnicalEntry]:
    # The asset row is locked by the caller: two engineers recording at once are put in order.
    now = current(await history(session, asset.id))
    at = datetime.now(UTC)
    added = []
    for fact, value in sorted(cmd.facts.items()):
        before = now[fact].value if fact in now else None
        if value == before:
            continue
        entry = TechnicalEntry(
            asset_id=asset.id,
            fact=fact,
            value=value,
            reason=cmd.reason,
            recorded_at=at,
            recorded_by=principal.subject,
            recorded_by_name=principal.username,
        )
        session.add(entry)
        added.append(entry)
    await session.flush()
    return added
