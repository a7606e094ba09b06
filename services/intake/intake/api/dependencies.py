from typing import Annotated

from fastapi import Depends, Request

from intake.attachments.storage import AttachmentStore
from intake.config import IntakeSettings
from intake.tickets.numbering import NumberAllocator


# All `async` though they never await: FastAPI runs a plain `def` dependency in a worker thread, and that hop
# (a thread handed the call, anyio's limiter, waking the loop back up) cost more than the ticket insert on
# every `POST /api/tickets` (py-spy under `make bench`).
async def settings(request: Request) -> IntakeSettings:
    settings: IntakeSettings = request.app.state.settings  # set by create_app
    return settings


async def attachment_store(request: Request) -> AttachmentStore:
    store: AttachmentStore = request.app.state.attachments  # set by create_app
    return store


async def number_allocator(request: Request) -> NumberAllocator:
    numbers: NumberAllocator = request.app.state.numbers  # set by create_app
    return numbers


Settings = Annotated[IntakeSettings, Depends(settings)]
Store = Annotated[AttachmentStore, Depends(attachment_store)]
Numbers = Annotated[NumberAllocator, Depends(number_allocator)]
