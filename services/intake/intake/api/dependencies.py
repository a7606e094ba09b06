from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from intake.attachments.storage import AttachmentStore
from intake.config import IntakeSettings


async def unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, rolled back if it raises."""
    async with request.app.state.sessions() as session, session.begin():
        yield session


def settings(request: Request) -> IntakeSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def attachment_store(request: Request) -> AttachmentStore:
    return request.app.state.attachments  # type: ignore[no-any-return]


# scope="function": the transaction commits before the response is sent. FastAPI's default ("request") ends
# a yield dependency after the response, so a client could be told 201 for a write whose commit then failed.
Uow = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]
Settings = Annotated[IntakeSettings, Depends(settings)]
Store = Annotated[AttachmentStore, Depends(attachment_store)]
