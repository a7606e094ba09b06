"""Intake's API loads jieba's dictionary while it starts, before it serves: no request pays for it (a cold
load is about a second here, several on a busy machine)."""

from asgi_lifespan import LifespanManager

from intake.config import IntakeSettings
from intake.knowledge import segmentation
from intake.main import create_app
from opsdesk_shared.testing.plugin import RunEnvironment


async def test_the_api_has_its_search_dictionary_loaded_before_it_serves(migrated: RunEnvironment) -> None:
    segmentation._tokenizer = None  # as in a new process (another test of this run may have loaded it)
    app = create_app(migrated.settings(IntakeSettings))
    assert not segmentation.loaded()
    async with LifespanManager(app):
        assert segmentation.loaded()
        assert segmentation.index_words("居住证受理") == "居住 居住证 受理"
