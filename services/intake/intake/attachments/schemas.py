"""What clients see of an attachment (its bytes are fetched apart)."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel


class AttachmentOut(BaseModel):
    id: UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    at: datetime
