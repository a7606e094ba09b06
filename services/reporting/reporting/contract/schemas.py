"""The contract particulars as the API reads and writes them."""

from datetime import date, datetime

from pydantic import BaseModel, Field


class ContractIn(BaseModel):
    model_config = {"extra": "forbid", "str_strip_whitespace": True}
    contract_number: str = Field(min_length=1, max_length=100)
    contract_title: str = Field(min_length=1, max_length=200)
    client_name: str = Field(min_length=1, max_length=200, description="甲方: the bureau")
    vendor_name: str = Field(min_length=1, max_length=200, description="乙方: the O&M vendor")
    starts_on: date
    ends_on: date


class ContractOut(BaseModel):
    configured: bool  # False until an admin has entered the contract
    contract_number: str | None = None
    contract_title: str | None = None
    client_name: str | None = None
    vendor_name: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None
