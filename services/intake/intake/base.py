"""The declarative base every intake table maps onto: SQLAlchemy 2 typed mappings (`Mapped[...]`), so
the type checker sees `Ticket.status` as a column in queries and as a `str` on a loaded row.

Rows are dataclasses (`MappedAsDataclass`): keyword-only constructors whose defaults (an id, a status, a
count) are set when the object is made, as they were under SQLModel; compared by identity, as ORM rows are.
`Mapped[str]` is `text` and `Mapped[datetime]` a `timestamptz`: the types the migrations created. The
metadata has SQLAlchemy's default naming (an `index=True` column's index is `ix_<table>_<column>`, as the
migrations named them); indexes the migrations named otherwise are named in the table's `__table_args__`.
`tests/test_schema.py` compares these tables with the migrated database.
"""

from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import DeclarativeBase, MappedAsDataclass, MappedColumn, mapped_column

from opsdesk_shared.db import TYPE_ANNOTATION_MAP


class Base(MappedAsDataclass, DeclarativeBase, kw_only=True, eq=False):
    metadata = sa.MetaData()
    type_annotation_map = {**TYPE_ANNOTATION_MAP, str: sa.Text()}

    def values(self) -> dict[str, Any]:
        """The row's columns by attribute name (what a response model or a bulk insert takes)."""
        return {column.key: getattr(self, column.key) for column in sa.inspect(self).mapper.column_attrs}


def text_array(**kwargs: Any) -> MappedColumn[list[str]]:
    return mapped_column(pg.ARRAY(sa.Text), **kwargs)


def uuid_array(**kwargs: Any) -> MappedColumn[list[UUID]]:
    return mapped_column(pg.ARRAY(pg.UUID(as_uuid=True)), **kwargs)
