"""Column helpers shared by dispatch's models."""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg


def text_array() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(pg.ARRAY(sa.Text), nullable=False, server_default="{}")


def uuid_array() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(pg.ARRAY(pg.UUID(as_uuid=True)), nullable=False, server_default="{}")


def money() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(sa.Numeric(12, 2), nullable=False)
