from typing import Annotated

from fastapi import Depends, Request

from intake.attachments.storage import AttachmentStore
from intake.config import IntakeSettings


def settings(request: Request) -> IntakeSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def attachment_store(request: Request) -> AttachmentStore:
    return request.app.state.attachments  # type: ignore[no-any-return]


Settings = Annotated[IntakeSettings, Depends(settings)]
Store = Annotated[AttachmentStore, Depends(attachment_store)]
