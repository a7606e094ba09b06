from notifications.config import NotificationsSettings
from notifications.messaging.consumers import subscriptions
from opsdesk_shared.messaging.setup import declare_subscriptions
from opsdesk_shared.migrations import migrate
from opsdesk_shared.settings import ServiceSettings


async def run(settings: ServiceSettings) -> None:
    assert isinstance(settings, NotificationsSettings)
    await migrate(settings, "notifications")
    await declare_subscriptions(settings, subscriptions(settings))
