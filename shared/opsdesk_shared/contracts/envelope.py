"""The event envelope and the base class of every event's data.

`{id, type, version, occurred_at, producer, correlation_id, data}`. Consumers ignore fields they do not
know (`extra="ignore"`), so a producer may add fields within a version; removing or changing a field
means a new version.
"""

import builtins
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

_REGISTRY: dict[tuple[str, int], type["Event"]] = {}
E = TypeVar("E", bound="Event")


class Event(BaseModel):
    """Data of one domain event. Subclasses set `type` (the routing key) and `version`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: ClassVar[str]
    version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type" in cls.__dict__:
            _REGISTRY[(cls.type, cls.version)] = cls


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: UUID = Field(default_factory=uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    correlation_id: str | None = None
    data: dict[str, Any]

    @classmethod
    def wrap(cls, event: Event, *, producer: str, correlation_id: str | None) -> "Envelope":
        return cls(
            type=event.type,
            version=event.version,
            producer=producer,
            correlation_id=correlation_id,
            data=event.model_dump(mode="json"),
        )

    def parse(self, event_cls: builtins.type[E]) -> E:
        # `builtins.type`: inside this class `type` is the envelope's own field.
        return event_cls.model_validate(self.data)


def event_class(event_type: str, version: int = 1) -> type[Event] | None:
    return _REGISTRY.get((event_type, version))


def registered_types() -> set[str]:
    return {t for t, _ in _REGISTRY}
