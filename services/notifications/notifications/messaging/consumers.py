"""Notifications' subscriptions: the events that may send SMS, applied through the rules (rules/service.py)."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, cast
from uuid import UUID
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.config import NotificationsSettings
from notifications.inbound.models import TicketContact
from notifications.messages import service
from notifications.rules import provider_templates
from notifications.rules import service as rules
from notifications.rules.models import SmsRule, SmsTemplate
from opsdesk_shared.contracts import assets as a
from opsdesk_shared.contracts import dispatch as d
from opsdesk_shared.contracts import intake as i
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.vocabulary import QUIET_CHANNELS
from opsdesk_shared.messaging.consumer import Handler, Subscription
from opsdesk_shared.phones import display_phone

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(at: datetime | None) -> str:
    return at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") if at else "尽快"


class RuleApplier:
    def __init__(self, session: AsyncSession, envelope: Envelope, settings: NotificationsSettings) -> None:
        self.session, self.envelope, self.settings = session, envelope, settings
        self._templates: dict[str, SmsTemplate | None] = {}

    async def _template(self, trigger_name: str) -> SmsTemplate | None:
        """The enabled rule's template, looked up once per event (an escalation goes to several people)."""
        if trigger_name not in self._templates:
            self._templates[trigger_name] = await self.session.scalar(
                sa.select(SmsTemplate)
                .join(SmsRule, SmsRule.template_code == SmsTemplate.code)
                .where(SmsRule.trigger == trigger_name, SmsRule.enabled)
            )  # one statement, not a rule's and then its template's
        return self._templates[trigger_name]

    async def send(
        self, trigger_name: str, phone: str | None, variables: dict[str, Any], ticket_id: UUID | None
    ) -> None:
        if not phone:
            return
        trigger = rules.TRIGGERS[trigger_name]
        template = await self._template(trigger_name)
        if template is None:
            return
        provider_template, params = provider_templates.for_rule(template, self.settings, variables)
        await service.queue_message(
            self.session,
            event_id=self.envelope.id,
            recipient=phone,
            ticket_id=ticket_id,
            body=rules.render(template.body, self.settings.sms_signature, variables),
            template=template.code,
            provider=self.settings.sms_provider,
            provider_template=provider_template,
            template_params=params,
            urgent=trigger.urgent,
            deferrable=trigger.deferrable,
            ticket_news=trigger.ticket_news,
            ticket_number=str(variables.get("number") or "") or None,
            limits=self.settings.limits,
        )


async def _contact(session: AsyncSession, ticket_id: UUID) -> TicketContact | None:
    return await session.get(TicketContact, ticket_id)


async def _track(
    session: AsyncSession,
    *,
    ticket_id: UUID,
    number: str,
    phone: str,
    status: str,
    at: datetime,
    title: str | None = None,
    requester_name: str | None = None,
    resolved_at: datetime | None = None,
) -> None:
    """Upsert the ticket's contact; its status moves only to a later one (a queue's consumers run
    concurrently, so a ticket's events may be handled out of order)."""
    await session.execute(
        TRACK,
        {
            "ticket_id": ticket_id,
            "number": number,
            "title": title or "",
            "requester_name": requester_name,
            "requester_phone": phone,
            "status": status,
            "status_at": at,
            "resolved_at": resolved_at,
        },
    )


def _track_statement() -> sa.Insert:
    """Built once with bound parameters: every ticket event runs it, and composing it cost more CPU than running it."""
    table = cast(sa.Table, TicketContact.__table__)
    stmt = insert(table).values({c.name: sa.bindparam(c.name, type_=c.type) for c in table.columns})
    newer = stmt.excluded.status_at >= table.c.status_at
    return stmt.on_conflict_do_update(
        index_elements=["ticket_id"],
        set_={
            "title": sa.case((stmt.excluded.title != "", stmt.excluded.title), else_=table.c.title),
            "requester_name": sa.func.coalesce(stmt.excluded.requester_name, table.c.requester_name),
            "status": sa.case((newer, stmt.excluded.status), else_=table.c.status),
            "status_at": sa.func.greatest(stmt.excluded.status_at, table.c.status_at),
            "resolved_at": sa.func.coalesce(stmt.excluded.resolved_at, table.c.resolved_at),
        },
    )


TRACK = _track_statement()


# --- one handler per event type; `HANDLERS` below says which is which (and so what the queue binds) ---


async def ticket_created(session: AsyncSession, envelope: Envelope, apply: RuleApplier) -> None:
    t = envelope.parse(i.TicketCreated)
    # Inspection and monitoring tickets have no requester to text (intake announces them without a phone; this
    # holds should a producer send one anyway): kept without one, nothing about them goes to a requester.
    quiet = t.channel in QUIET_CHANNELS
    await _track(
        session,
        ticket_id=t.ticket_id,
        number=t.number,
        phone="" if quiet else t.requester_phone,
        status=t.status,
        at=t.created_at,
        title=t.title,
        requester_name=t.requester_name,
    )
    if quiet:
        return
    await apply.send("ticket_accepted", t.requester_phone, {"number": t.number, "title": t.title}, t.ticket_id)


async def status_changed(session: AsyncSession, envelope: Envelope, apply: RuleApplier) -> None:
    change = envelope.parse(i.TicketStatusChanged)
    contact = await _contact(session, change.ticket_id)
    if contact is None:
        return  # the ticket.created that carries the phone is still to come; it knows the status
    await _track(
        session,
        ticket_id=change.ticket_id,
        number=change.number,
        phone=contact.requester_phone,
        status=change.to_status,
        at=change.changed_at,
    )
    if change.to_status == "pending":
        await apply.send(
            "ticket_pending",
            contact.requester_phone,
            {"number": contact.number, "reason": change.reason or ""},
            contact.ticket_id,
        )


async def ticket_resolved(session: AsyncSession, envelope: Envelope, apply: RuleApplier) -> None:
    resolved = envelope.parse(i.TicketResolved)
    await _track(
        session,
        ticket_id=resolved.ticket_id,
        number=resolved.number,
        phone=resolved.requester_phone,
        status="resolved",
        at=resolved.at,
        resolved_at=resolved.at,
    )
    await apply.send("ticket_resolved", resolved.requester_phone, {"number": resolved.number}, resolved.ticket_id)


_FINISHING_STATUS = {
    i.TicketClosed.type: "closed",
    i.TicketReopened.type: "reopened",
    i.TicketCancelled.type: "cancelled",
}


async def ticket_step(session: AsyncSession, envelope: Envelope, apply: RuleApplier) -> None:
    """Closed, reopened or cancelled: the contact follows; a duplicate's requester learns the surviving number."""
    step = envelope.parse(i.TicketStep)
    await _track(
        session,
        ticket_id=step.ticket_id,
        number=step.number,
        phone=step.requester_phone,
        status=_FINISHING_STATUS[envelope.type],
        at=step.at,
    )
    if envelope.type == i.TicketCancelled.type:
        cancelled = envelope.parse(i.TicketCancelled)
        if cancelled.duplicate_of_number:
            await apply.send(
                "ticket_duplicate",
                cancelled.requester_phone,
                {"number": cancelled.number, "survivor_number": cancelled.duplicate_of_number},
                cancelled.ticket_id,
            )


async def ticket_commented(session: AsyncSession, envelope: Envelope, apply: RuleApplier) -> None:
    # Only what staff address to the requester goes out: internal notes never, whatever the rule says.
    comment = envelope.parse(i.TicketCommented)
    if comment.public and comment.author_is_staff:
        await apply.send(
            "public_comment",
            comment.requester_phone,
            {"number": comment.number, "comment": comment.body[:200]},
            comment.ticket_id,
        )


async def engineer_assigned(session: AsyncSession, envelope: Envelope, apply: RuleApplier) -> None:
    """Assigned or reassigned: the requester hears who comes and when, the engineer where and for whom."""
    order = envelope.parse(d.WorkOrderAssigned)
    contact = await _contact(session, order.ticket_id)
    number = order.ticket_number or (contact.number if contact else "")
    arrival = local(order.expected_arrival_at)
    if contact is not None:
        await apply.send(
            "engineer_assigned",
            contact.requester_phone,
            {
                "number": number,
                "engineer_name": order.engineer_name,
                "engineer_phone": display_phone(order.engineer_phone),
                "expected_arrival": arrival,
            },
            order.ticket_id,
        )
    # The engineer is party to the job, so the requester's number goes in full (people's format).
    await apply.send(
        "assignment_to_engineer",
        order.engineer_phone,
        {
            "number": number,
            "title": contact.title if contact else "",
            "expected_arrival": arrival,
            "place": "".join(p for p in (order.unit_name, order.location) if p) or "见工单",
            "contact_name": (contact.requester_name or "") if contact else "",
            "contact_phone": display_phone(contact.requester_phone) if contact else "",
        },
        order.ticket_id,
    )


async def sla_alarm(session: AsyncSession, envelope: Envelope, apply: RuleApplier) -> None:
    """A warning or a breach, to each staff member dispatch named."""
    alarm = envelope.parse(d.SlaDeadline)
    trigger = "sla_warning" if envelope.type == d.SlaWarning.type else "sla_breached"
    variables = {
        "number": alarm.ticket_number or "",
        "metric": rules.METRIC_NAMES.get(alarm.metric, alarm.metric),
        "due_at": local(alarm.due_at),
    }
    for recipient in alarm.recipients:
        await apply.send(trigger, recipient.phone, variables, alarm.ticket_id)


async def stock_low(session: AsyncSession, envelope: Envelope, apply: RuleApplier) -> None:
    """A spare part below its minimum, to each project manager assets named (it knows them from the user
    events, as dispatch knows whom a breach reaches). One SMS per manager however often the event arrives."""
    low = envelope.parse(a.SparesStockLow)
    variables = {
        "part": f"{low.name} {low.part_number}",
        "store": low.store_name or "各库房",
        "on_hand": low.on_hand,
        "minimum": low.minimum,
    }
    for recipient in low.recipients:
        await apply.send("spares_stock_low", recipient.phone, variables, None)


RuleHandler = Callable[[AsyncSession, Envelope, RuleApplier], Awaitable[None]]

HANDLERS: dict[str, RuleHandler] = {
    i.TicketCreated.type: ticket_created,
    i.TicketStatusChanged.type: status_changed,
    i.TicketResolved.type: ticket_resolved,
    i.TicketClosed.type: ticket_step,
    i.TicketReopened.type: ticket_step,
    i.TicketCancelled.type: ticket_step,
    i.TicketCommented.type: ticket_commented,
    d.WorkOrderAssigned.type: engineer_assigned,
    d.WorkOrderReassigned.type: engineer_assigned,
    d.SlaWarning.type: sla_alarm,
    d.SlaBreached.type: sla_alarm,
    a.SparesStockLow.type: stock_low,
}


def subscriptions(settings: NotificationsSettings) -> list[Subscription]:
    """One queue bound to exactly the event types of `HANDLERS`, each applied through the SMS rules."""

    def with_rules(handler: RuleHandler) -> Handler:
        async def apply(session: AsyncSession, envelope: Envelope) -> None:
            await handler(session, envelope, RuleApplier(session, envelope, settings))

        return apply

    return [Subscription.of("notifications.events", {kind: with_rules(h) for kind, h in HANDLERS.items()})]
