"""Business SMS for the residence-permit system (SPEC §6, ~3.6 million a year): `system` clients with the
`sms:send` scope send one message or a batch of up to 1,000, from a template or a ready body. All or
nothing: one bad number refuses the whole request. An `Idempotency-Key` makes a retry return the ids
the first attempt got instead of sending again.

While Alibaba Cloud SMS is live a message is a registered template with parameters: a free `body` is refused
(422), and each recipient's variables must fill every parameter of the template's provider mapping, within the
provider's length limit."""

import hashlib
import json
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifications import provider_templates, rules, service
from notifications.config import NotificationsSettings
from notifications.models import SmsRequest, SmsTemplate
from notifications.schemas import BatchRecipient, BusinessBatch
from opsdesk_shared.errors import Conflict, RuleViolation
from opsdesk_shared.phones import normalise_phone


async def _replayed(session: AsyncSession, client: UUID, key: str, digest: str) -> list[UUID] | None:
    claimed = await session.scalar(
        insert(SmsRequest)
        .values(client_id=client, key=key, request_hash=digest, message_ids=[], created_at=datetime.now(UTC))
        .on_conflict_do_nothing()
        .returning(SmsRequest.key)
    )
    if claimed is not None:
        return None
    earlier = await session.scalar(select(SmsRequest).where(SmsRequest.client_id == client, SmsRequest.key == key))
    if earlier is None or not earlier.message_ids:
        raise Conflict(
            "a request with this Idempotency-Key is still in progress; retry shortly", code="idempotency.in_progress"
        )
    if earlier.request_hash != digest:
        raise RuleViolation(
            "this Idempotency-Key was used with a different request body",
            field="Idempotency-Key",
            code="idempotency.key_reused",
        )
    return [UUID(i) for i in earlier.message_ids]


async def send_batch(
    session: AsyncSession,
    settings: NotificationsSettings,
    client: UUID,
    batch: BusinessBatch,
    idempotency_key: str | None,
) -> tuple[list[UUID], bool]:
    """Returns the message ids, and whether they are a replay of an earlier request with the same key."""
    if idempotency_key:
        digest = hashlib.sha256(json.dumps(batch.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
        earlier = await _replayed(session, client, idempotency_key, digest)
        if earlier is not None:
            return earlier, True
    aliyun = settings.sms_provider == "aliyun"
    if aliyun and batch.body is not None:
        raise RuleViolation(
            "the live SMS provider (Alibaba Cloud) sends registered templates only: give `template` and `variables`",
            field="body",
        )
    body = batch.body
    template = None
    if batch.template is not None:
        template = await session.get(SmsTemplate, batch.template)
        if template is None or template.trigger is not None:
            raise RuleViolation(
                f"no business template {batch.template!r}", field="template", code="sms.template_unknown"
            )
        body = template.body
    assert body is not None
    provider_template, params = None, None
    if aliyun:
        assert template is not None
        provider_template = provider_templates.code_for(template, settings)
        if provider_template is None:
            raise RuleViolation(
                f"template {template.code!r} has no Alibaba Cloud template code (provider_code)", field="template"
            )
        params = [
            rules.provider_params(
                template.provider_params, dict(r.variables), clip=False, field=f"messages[{i}].variables"
            )
            for i, r in enumerate(batch.messages)
        ]
    rendered: list[tuple[str, str]] = []
    for index, recipient in enumerate(batch.messages):
        rendered.append(_render(index, recipient, body, batch.template is not None, settings))
    ids = await service.queue_many(
        session,
        rendered,
        template=batch.template,
        provider=settings.sms_provider,
        provider_template=provider_template,
        params=params,
        client_id=client,
        deferrable=not batch.urgent,
        limits=settings.limits,
    )
    if idempotency_key:
        await session.execute(
            SmsRequest.__table__.update()  # type: ignore[attr-defined]
            .where(SmsRequest.client_id == client, SmsRequest.key == idempotency_key)
            .values(message_ids=[str(i) for i in ids])
        )
    return ids, False


def _render(
    index: int, recipient: BatchRecipient, body: str, is_template: bool, settings: NotificationsSettings
) -> tuple[str, str]:
    field = f"messages[{index}]"
    phone = normalise_phone(recipient.to, "CN", field=f"{field}.to")
    try:
        text = (
            rules.render(body, settings.sms_signature, recipient.variables)
            if is_template
            else (settings.sms_signature + body)
        )
    except RuleViolation as exc:
        raise RuleViolation(
            f"{field}: {exc}", field=f"{field}.variables", code="sms.template_variables_missing"
        ) from exc
    return phone, text
