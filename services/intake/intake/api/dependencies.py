from typing import Annotated

from fastapi import Depends, Request

from intake.attachments.storage import AttachmentStore
from intake.config import IntakeSettings


def settings(request: Request) -> IntakeSettings:
    settings: IntakeSettings = request.app.state.settings  # set by create_app
    return settings


def attachment_store(request: Request) -> AttachmentStore:
    store: AttachmentStore = request.app.state.attachments  # set by create_app
    return store


Settings = Annotated[IntakeSettings, Depends(settings)]
Store = Annotated[AttachmentStore, Depends(attachment_store)]
