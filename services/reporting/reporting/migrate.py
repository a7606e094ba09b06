from opsdesk_shared.messaging.setup import declare_subscriptions
from opsdesk_shared.migrations import migrate
from opsdesk_shared.settings import ServiceSettings
from reporting.messaging.consumers import SUBSCRIPTIONS


async def run(settings: ServiceSettings) -> None:
    await migrate(settings, "reporting")
    await declare_subscriptions(settings, SUBSCRIPTIONS)
