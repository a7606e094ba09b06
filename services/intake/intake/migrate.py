from intake.config import IntakeSettings
from intake.messaging.consumers import subscriptions
from opsdesk_shared.messaging.setup import declare_subscriptions
from opsdesk_shared.migrations import migrate
from opsdesk_shared.settings import ServiceSettings


async def run(settings: ServiceSettings) -> None:
    await migrate(settings, "intake")
    # The exchange and intake's queues, before anything publishes: no event is dropped for want of a queue.
    assert isinstance(settings, IntakeSettings)
    await declare_subscriptions(settings, subscriptions(settings))
