from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, StringConstraints

# The list pages that keep views; one today.
PageName = Literal["tickets"]


class SavedViewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page: PageName
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    query: Annotated[str, StringConstraints(max_length=2000)]


class SavedViewOut(BaseModel):
    id: UUID
    page: str
    name: str
    query: str
    created_at: datetime
