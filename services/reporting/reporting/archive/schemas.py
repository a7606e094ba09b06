"""The archive of generated reports as the API lists it."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel


class ArchivedReport(BaseModel):
    id: UUID
    kind: str
    period: str
    format: str
    filename: str
    size_bytes: int
    generated_at: datetime


class ArchivedFile(BaseModel):
    filename: str
    media_type: str
    content: bytes
