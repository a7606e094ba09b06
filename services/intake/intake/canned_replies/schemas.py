from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, StringConstraints

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class CannedReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Body


class CannedReplyPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    body: Body | None = None


class CannedReplyOut(BaseModel):
    id: UUID
    title: str
    body: str
    updated_at: datetime
