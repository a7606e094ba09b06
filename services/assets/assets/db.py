"""The declarative base of the assets service's tables: typed mappings (`Mapped[...]`), the shared naming
convention for constraints, and timestamptz for every `datetime`."""

from sqlalchemy.orm import DeclarativeBase

from opsdesk_shared.db import TYPE_ANNOTATION_MAP, service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP
