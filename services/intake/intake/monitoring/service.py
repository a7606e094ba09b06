"""Monitoring alerts become tickets (SPEC §2a 运行监测, issue 17). The assets service's receiver has decided,
per alert, everything its rules, the ledger and the maintenance windows say (`contracts/monitoring.py`);
intake owns the tickets and follows that decision:

- firing, its rule opens tickets, no ticket of its own yet → a ticket on the channel `monitoring` (the
  alert's summary and description, its generator link, the asset linked or the tag flagged unknown, the
  unit the receiver found or flagged, the monitoring source as reporter, nobody to text); in a storm, a line
  on the ticket of the group's first alert instead;
- firing again while its ticket is open → a line on it; within the rule's reopen window after that ticket
  was resolved → the ticket reopens (flapping does not open ticket after ticket); later → a new ticket;
- resolved → a "recovered at …" line; where the rule says so and every alert on the ticket has recovered,
  the ticket is resolved as recovered by itself (the desk still confirms it), never while an engineer is
  working on it.

Exactly once: the inbox, and each alert's row here remembering the episode it last handled."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.directory import service as directory
from intake.ledger import service as ledger
from intake.monitoring.models import AlertTicket
from intake.tickets.lifecycle import OPEN
from intake.tickets.models import Ticket, TicketEvent
from intake.tickets.service import file_ticket, mark_reopened, mark_resolved
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.monitoring import AlertFiring, AlertResolved
from opsdesk_shared.contracts.vocabulary import Channel
from opsdesk_shared.db import advisory_lock

# A ticket an alert firing again belongs to (pending included: the desk is waiting on someone).
STILL_OPEN = OPEN | {"pending"}
# Statuses a recovery may resolve by itself: nobody is working on the fault yet.
AUTO_RESOLVABLE = frozenset({"new", "assigned", "reopened"})
RECOVERED_CODE = "recovered_by_itself"
MONITOR = "monitoring"  # the actor name on the lines monitoring writes


async def on_alert_firing(session: AsyncSession, envelope: Envelope) -> None:
    alert = envelope.parse(AlertFiring)
    if not alert.opens_ticket:
        return  # recorded by the receiver (no rule for tickets, or a maintenance window)
    await advisory_lock(session, f"alert:{alert.source}:{alert.fingerprint}")
    link = await session.get(AlertTicket, (alert.source, alert.fingerprint), with_for_update=True)
    if link is not None and link.starts_at >= alert.starts_at:
        return  # this episode (or a later one) is handled already
    ticket = await _ticket(session, link)
    if ticket is not None and ticket.status in STILL_OPEN:
        _line(session, ticket, "alert_fired_again", _alert_detail(alert))
    elif ticket is not None and _within_reopen_window(ticket, alert):
        await mark_reopened(
            session,
            ticket,
            f"{alert.alertname} 再次告警 fired again",
            actor_id=None,
            actor_name=MONITOR,
            detail=_alert_detail(alert),
        )
    else:
        ticket = await _storm_ticket(session, alert)
        if ticket is not None:
            _line(session, ticket, "alert_joined", _alert_detail(alert))
        else:
            ticket = await _open_ticket(session, alert)
    if link is None:
        link = AlertTicket(source=alert.source, fingerprint=alert.fingerprint, ticket_id=ticket.id,
                           alertname=alert.alertname, starts_at=alert.starts_at)  # fmt: skip
        session.add(link)
    link.ticket_id, link.starts_at, link.firing, link.recovered_at = ticket.id, alert.starts_at, True, None


async def on_alert_resolved(session: AsyncSession, envelope: Envelope) -> None:
    alert = envelope.parse(AlertResolved)
    await advisory_lock(session, f"alert:{alert.source}:{alert.fingerprint}")
    link = await session.get(AlertTicket, (alert.source, alert.fingerprint), with_for_update=True)
    if link is None or link.starts_at != alert.starts_at or not link.firing:
        return  # no ticket for it, another episode's recovery, or handled already
    ticket = await _ticket(session, link)
    link.firing, link.recovered_at = False, alert.ends_at
    if ticket is None:
        return
    detail = {"alertname": alert.alertname, "fingerprint": alert.fingerprint, "recovered_at": alert.ends_at.isoformat()}
    _line(session, ticket, "alert_recovered", detail)
    if not alert.auto_resolve or ticket.status not in AUTO_RESOLVABLE:
        return  # left for the engineer (or the desk)
    still_firing = await session.scalar(
        select(AlertTicket.fingerprint).where(AlertTicket.ticket_id == ticket.id, AlertTicket.firing).limit(1)
    )
    if still_firing is None:
        await mark_resolved(
            session,
            ticket,
            code=RECOVERED_CODE,
            summary=f"{alert.alertname} 已自行恢复 recovered by itself at {alert.ends_at.isoformat()}",
            remote=True,
            actor_id=None,
            actor_name=MONITOR,
        )


async def _ticket(session: AsyncSession, link: AlertTicket | None) -> Ticket | None:
    return None if link is None else await session.get(Ticket, link.ticket_id, with_for_update=True)


def _within_reopen_window(ticket: Ticket, alert: AlertFiring) -> bool:
    if ticket.status not in ("resolved", "closed") or ticket.resolved_at is None:
        return False
    return alert.starts_at - ticket.resolved_at <= timedelta(seconds=alert.reopen_window_s)


async def _storm_ticket(session: AsyncSession, alert: AlertFiring) -> Ticket | None:
    """The open ticket of the storm's lead this alert joins, if it has one."""
    if alert.group_lead is None:
        return None
    lead = await session.get(AlertTicket, (alert.source, alert.group_lead))
    ticket = await _ticket(session, lead)
    return ticket if ticket is not None and ticket.status in STILL_OPEN else None


def _alert_detail(alert: AlertFiring) -> dict[str, Any]:
    return {
        "source": alert.source,
        "alertname": alert.alertname,
        "fingerprint": alert.fingerprint,
        "summary": alert.summary,
        "severity": alert.severity,
        "asset_tag": alert.asset_tag,
        "starts_at": alert.starts_at.isoformat(),
        **({"generator_url": alert.generator_url} if alert.generator_url else {}),
    }


def _line(session: AsyncSession, ticket: Ticket, kind: str, detail: dict[str, Any]) -> None:
    """A line on the ticket's timeline, at the moment the desk learns it (the alert's own instants are in
    `detail`: an alert can arrive late)."""
    ticket.updated_at = at = datetime.now(UTC)
    session.add(TicketEvent(ticket_id=ticket.id, kind=kind, actor_id=None, actor_name=MONITOR, detail=detail, at=at))


def _description(alert: AlertFiring) -> str:
    parts = [alert.description or alert.summary]
    labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
    parts.append(f"告警 Alert: {alert.alertname} ({alert.source}) · {labels}")
    if alert.generator_url:
        parts.append(f"来源 Source: {alert.generator_url}")
    return "\n".join(parts)[:4000]


async def _open_ticket(session: AsyncSession, alert: AlertFiring) -> Ticket:
    asset = await ledger.by_tag(session, alert.asset_tag) if alert.asset_tag else None
    unit_id = alert.unit_id or (asset.unit_id if asset else None) or await directory.root_unit(session)
    at = datetime.now(UTC)
    ticket = Ticket(
        number="",
        title=alert.summary[:200],
        description=_description(alert),
        category=alert.category,
        subcategory=alert.kind_of_work,
        priority=alert.priority,
        status="new",
        unit_id=unit_id,
        unit_path=await directory.unit_path(session, unit_id) or [unit_id],
        # The monitoring engine reports it; there is nobody to text.
        requester_name=f"监控 {alert.source}"[:50],
        requester_phone="",
        channel=Channel.MONITORING.value,
        asset_tag=(asset.tag if asset else alert.asset_tag.upper()) if alert.asset_tag else None,
        asset_id=asset.asset_id if asset else None,
        asset_unknown=bool(alert.asset_tag) and asset is None,
        created_by=None,
        created_at=at,
        updated_at=at,
        version=1,
    )
    detail = {
        "channel": ticket.channel,
        "status": "new",
        "priority": ticket.priority,
        **_alert_detail(alert),
        **({} if alert.unit_known else {"unit_unknown": True}),
    }
    await file_ticket(session, ticket, actor_id=None, actor_name=MONITOR, detail=detail)
    return ticket
