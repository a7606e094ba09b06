from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Skill = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z][a-z0-9_]{1,29}$")]


class EngineerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skills: Annotated[list[Skill], Field(max_length=20)] | None = None
    home_district_id: UUID | None = None


class EngineerOut(BaseModel):
    user_id: UUID
    username: str
    display_name: str
    phone: str | None
    unit_id: UUID | None
    is_active: bool
    skills: list[str]
    home_district_id: UUID | None
    on_duty: bool = False
    open_work_orders: int = 0


class StaffOut(BaseModel):
    user_id: UUID
    username: str
    display_name: str
    roles: list[str]
    is_active: bool
    updated_at: datetime
