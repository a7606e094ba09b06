"""Notifications' worker: event consumers that queue SMS, the sender, and the outbox relay."""

import structlog

from notifications.config import NotificationsSettings
from notifications.messaging.consumers import subscriptions
from notifications.providers.twilio import TwilioProvider
from notifications.sender import Sender
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.settings import ServiceSettings
from opsdesk_shared.worker import run_worker

log = structlog.get_logger(__name__)


def provider_for(settings: NotificationsSettings) -> TwilioProvider:
    return TwilioProvider(
        account_sid=settings.account_sid,
        auth_token=settings.auth_token,
        base_url=settings.api_base_url,
        timeout_s=settings.twilio_timeout_s,
        from_number=settings.from_number,
        messaging_service_sid=settings.twilio_messaging_service_sid,
        is_sink=settings.uses_sink,
    )


async def run(settings: ServiceSettings) -> None:
    assert isinstance(settings, NotificationsSettings)
    engine = create_engine(settings)
    sessions = session_factory(engine)
    provider = provider_for(settings)
    if settings.uses_sink:
        log.warning(
            "sms_sink_mode",
            base_url=settings.api_base_url,
            note="no Twilio credentials: SMS go to the local sink, development only",
        )
    sender = Sender(settings, sessions, provider)
    try:
        await run_worker(settings, sessions, subscriptions(settings), tasks=[sender.run])
    finally:
        await provider.close()
        await engine.dispose()
