"""Notifications' worker: event consumers that queue SMS, the sender, the receipts' folder, and the outbox relay."""

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifications.config import NotificationsSettings
from notifications.messages.receipts import ReceiptFolder
from notifications.messages.sender import Sender
from notifications.messaging.consumers import subscriptions
from notifications.providers.aliyun import AliyunProvider
from notifications.providers.base import SmsProvider
from notifications.providers.twilio import TwilioProvider
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.settings import ServiceSettings
from opsdesk_shared.worker import BackgroundTask, run_worker

log = structlog.get_logger(__name__)


def provider_for(settings: NotificationsSettings) -> SmsProvider:
    if settings.sms_provider == "aliyun":
        return AliyunProvider(
            access_key_id=settings.aliyun_key_id,
            access_key_secret=settings.aliyun_key_secret,
            endpoint=settings.aliyun_api_endpoint,
            sign_name=settings.aliyun_sign,
            timeout_s=settings.aliyun_timeout_s,
            cap_max_wait_s=settings.aliyun_cap_max_wait_s,
            is_sink=settings.uses_sink,
        )
    return TwilioProvider(
        account_sid=settings.account_sid,
        auth_token=settings.auth_token,
        base_url=settings.api_base_url,
        timeout_s=settings.twilio_timeout_s,
        from_number=settings.from_number,
        messaging_service_sid=settings.twilio_messaging_service_sid,
        is_sink=settings.uses_sink,
    )


def background_tasks(
    settings: NotificationsSettings, sessions: async_sessionmaker[AsyncSession], provider: SmsProvider
) -> list[BackgroundTask]:
    """What runs beside the consumers: the sender and the receipts' folder (the tests run the same)."""
    return [Sender(settings, sessions, provider).run, ReceiptFolder(sessions, settings.asyncpg_dsn).run]


async def run(settings: ServiceSettings) -> None:
    assert isinstance(settings, NotificationsSettings)
    engine = create_engine(settings)
    sessions = session_factory(engine)
    provider = provider_for(settings)
    if settings.uses_sink:
        log.warning(
            "sms_sink_mode",
            provider=settings.sms_provider,
            base_url=settings.aliyun_api_endpoint if settings.sms_provider == "aliyun" else settings.api_base_url,
            note="no provider credentials: SMS go to the local stand-in, development only",
        )
    log.info("sms_provider", provider=settings.sms_provider)
    try:
        await run_worker(
            settings, sessions, subscriptions(settings), tasks=background_tasks(settings, sessions, provider)
        )
    finally:
        await provider.close()
        await engine.dispose()
