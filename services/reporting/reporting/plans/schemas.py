"""The next week's work plan printed in the weekly report, as the API reads and writes it."""

from datetime import datetime

from pydantic import BaseModel, Field


class PlanIn(BaseModel):
    model_config = {"extra": "forbid"}
    plan: str = Field(min_length=1, max_length=20_000)


class PlanOut(BaseModel):
    week: str
    plan: str
    updated_by: str | None  # None: nobody has written this week's plan yet
    updated_at: datetime | None
