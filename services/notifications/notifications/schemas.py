from datetime import datetime
from uuid import UUID

from pydantic import BaseModel


class MessageOut(BaseModel):
    id: UUID
    to: str
    body: str
    template: str | None
    ticket_id: UUID | None
    status: str
    segments: int
    encoding: str
    provider_sid: str | None
    attempts: int
    error_code: str | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None


class MessagePage(BaseModel):
    items: list[MessageOut]


class ProviderInfo(BaseModel):
    name: str
    sink: bool
    note: str
