from assets.messaging.consumers import SUBSCRIPTIONS
from opsdesk_shared.messaging.setup import declare_subscriptions
from opsdesk_shared.migrations import migrate
from opsdesk_shared.settings import ServiceSettings


async def run(settings: ServiceSettings) -> None:
    await migrate(settings, "assets")
    await declare_subscriptions(settings, SUBSCRIPTIONS)
