from datetime import datetime
from uuid import UUID

from pydantic import BaseModel


class ClockOut(BaseModel):
    id: UUID
    metric: str
    state: str
    calendar: str
    target_s: int
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    breached_at: datetime | None
    stopped_at: datetime | None
    paused_seconds: int
    elapsed_seconds: int
    remaining_seconds: int


class TicketClocks(BaseModel):
    ticket_id: UUID
    clocks: list[ClockOut]
