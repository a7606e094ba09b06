from datetime import datetime

from pydantic import BaseModel


class Summary(BaseModel):
    period_from: datetime | None
    period_to: datetime | None
    generated_at: datetime
    total: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_priority: dict[str, int]
    by_channel: dict[str, int]
    by_unit: dict[str, int]
