from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# ip_address, mac_address, firmware, os_version, software.<name>, config_note … : a short name of one's choice.
Fact = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z][a-z0-9_.-]{0,59}$")]
Value = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class TechnicalChange(BaseModel):
    """New values of some facts (None removes one), and why: one history entry per fact that changes."""

    model_config = ConfigDict(extra="forbid")

    facts: Annotated[dict[Fact, Value | None], Field(min_length=1, max_length=50)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class TechnicalEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    fact: str
    value: str | None
    reason: str
    recorded_at: datetime
    recorded_by: UUID
    recorded_by_name: str


class TechnicalLedger(BaseModel):
    asset_id: UUID
    tag: str
    current: dict[str, TechnicalEntryOut]  # each fact's newest entry (removed facts left out)
    history: list[TechnicalEntryOut]  # newest first
    recorded: int = 0  # entries this request added (0: every value was the current one already)
