"""Notifications' subscriptions: the events that may send SMS, applied through the rules (rules.py)."""

from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifications import provider_templates, rules, service
from notifications.config import NotificationsSettings
from notifications.models import SmsRule, SmsTemplate, TicketContact
from opsdesk_shared.contracts import dispatch as d
from opsdesk_shared.contracts import intake as i
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.messaging.consumer import Handler, Subscription
from opsdesk_shared.messaging.topology import QueueSpec
from opsdesk_shared.phones import display_phone

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROUTING_KEYS = (
    "ticket.created",
    "ticket.status_changed",
    "ticket.resolved",
    "ticket.closed",
    "ticket.reopened",
    "ticket.cancelled",
    "ticket.commented",
    "workorder.assigned",
    "workorder.reassigned",
    "sla.warning",
    "sla.breached",
)


def local(at: datetime | None) -> str:
    return at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") if at else "尽快"


class RuleApplier:
    def __init__(self, session: AsyncSession, envelope: Envelope, settings: NotificationsSettings) -> None:
        self.session, self.envelope, self.settings = session, envelope, settings
        self._templates: dict[str, SmsTemplate | None] = {}

    async def _template(self, trigger_name: str) -> SmsTemplate | None:
        """The enabled rule's template, looked up once per event (an escalation goes to several people)."""
        if trigger_name not in self._templates:
            rule = await self.session.get(SmsRule, trigger_name)
            enabled = rule is not None and rule.enabled
            self._templates[trigger_name] = await self.session.get(SmsTemplate, rule.template_code) if enabled else None
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
    table = TicketContact.__table__  # type: ignore[attr-defined]
    stmt = insert(TicketContact).values(
        ticket_id=ticket_id,
        number=number,
        title=title or "",
        requester_name=requester_name,
        requester_phone=phone,
        status=status,
        status_at=at,
        resolved_at=resolved_at,
    )
    newer = stmt.excluded.status_at >= table.c.status_at
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["ticket_id"],
            set_={
                "title": sa.case((stmt.excluded.title != "", stmt.excluded.title), else_=table.c.title),
                "requester_name": sa.func.coalesce(stmt.excluded.requester_name, table.c.requester_name),
                "status": sa.case((newer, stmt.excluded.status), else_=table.c.status),
                "status_at": sa.func.greatest(stmt.excluded.status_at, table.c.status_at),
                "resolved_at": sa.func.coalesce(stmt.excluded.resolved_at, table.c.resolved_at),
            },
        )
    )


def event_handler(settings: NotificationsSettings) -> Handler:
    async def on_event(session: AsyncSession, envelope: Envelope) -> None:
        apply = RuleApplier(session, envelope, settings)
        kind = envelope.type
        if kind == i.TicketCreated.type:
            t = envelope.parse(i.TicketCreated)
            await _track(
                session,
                ticket_id=t.ticket_id,
                number=t.number,
                phone=t.requester_phone,
                status=t.status,
                at=t.created_at,
                title=t.title,
                requester_name=t.requester_name,
            )
            await apply.send("ticket_accepted", t.requester_phone, {"number": t.number, "title": t.title}, t.ticket_id)
        elif kind == i.TicketStatusChanged.type:
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
        elif kind == i.TicketResolved.type:
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
            await apply.send(
                "ticket_resolved", resolved.requester_phone, {"number": resolved.number}, resolved.ticket_id
            )
        elif kind in (i.TicketClosed.type, i.TicketReopened.type, i.TicketCancelled.type):
            step = envelope.parse(i.TicketStep)
            status = {i.TicketClosed.type: "closed", i.TicketReopened.type: "reopened"}.get(kind, "cancelled")
            await _track(
                session,
                ticket_id=step.ticket_id,
                number=step.number,
                phone=step.requester_phone,
                status=status,
                at=step.at,
            )
            if kind == i.TicketCancelled.type:
                cancelled = envelope.parse(i.TicketCancelled)
                if cancelled.duplicate_of_number:
                    await apply.send(
                        "ticket_duplicate",
                        cancelled.requester_phone,
                        {"number": cancelled.number, "survivor_number": cancelled.duplicate_of_number},
                        cancelled.ticket_id,
                    )
        elif kind == i.TicketCommented.type:
            # Only what staff address to the requester goes out: internal notes never, whatever the rule says.
            comment = envelope.parse(i.TicketCommented)
            if comment.public and comment.author_is_staff:
                await apply.send(
                    "public_comment",
                    comment.requester_phone,
                    {"number": comment.number, "comment": comment.body[:200]},
                    comment.ticket_id,
                )
        elif kind in (d.WorkOrderAssigned.type, d.WorkOrderReassigned.type):
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
        elif kind in (d.SlaWarning.type, d.SlaBreached.type):
            alarm = envelope.parse(d.SlaDeadline)
            trigger = "sla_warning" if kind == d.SlaWarning.type else "sla_breached"
            variables = {
                "number": alarm.ticket_number or "",
                "metric": rules.METRIC_NAMES.get(alarm.metric, alarm.metric),
                "due_at": local(alarm.due_at),
            }
            for recipient in alarm.recipients:
                await apply.send(trigger, recipient.phone, variables, alarm.ticket_id)

    return on_event


def subscriptions(settings: NotificationsSettings) -> list[Subscription]:
    return [Subscription(QueueSpec("notifications.events", routing_keys=ROUTING_KEYS), event_handler(settings))]
