"""Opt-outs as the admin API lists them."""

from datetime import datetime

from pydantic import BaseModel


class OptOutOut(BaseModel):
    phone: str
    source: str
    at: datetime
