"""The declarative base every gateway table maps onto: SQLAlchemy 2 typed mappings (`Mapped[...]`), the same
shape as dispatch's (dispatch/base.py says why). `Mapped[str]` is `text`, `Mapped[datetime]` a
`timestamptz`, as the migrations made them; `tests/test_schema.py` compares the tables with the migrated
database."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, MappedAsDataclass

from opsdesk_shared.db import TYPE_ANNOTATION_MAP


class Base(MappedAsDataclass, DeclarativeBase, kw_only=True, eq=False):
    metadata = sa.MetaData()
    type_annotation_map = {**TYPE_ANNOTATION_MAP, str: sa.Text()}

    def values(self) -> dict[str, Any]:
        """The row's columns by attribute name."""
        return {column.key: getattr(self, column.key) for column in sa.inspect(self).mapper.column_attrs}
