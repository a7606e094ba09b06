"""Inspections (巡检): checklist templates per equipment class, plans, each day's rounds, the stops of a
round (one per asset, its results) and the findings its abnormal items raised."""

from datetime import date, datetime, time
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from assets.db import Base


class ChecklistTemplate(Base):
    """What to check on one class of equipment. `items`: [{key, label, kind, unit, low, high}]."""

    __tablename__ = "inspection_template"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    name: Mapped[str] = mapped_column(Text)
    asset_class: Mapped[str] = mapped_column(Text, index=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(pg.JSONB)
    active: Mapped[bool] = mapped_column(server_default="true")
    version: Mapped[int] = mapped_column(server_default="1")
    created_at: Mapped[datetime]
    created_by: Mapped[UUID]
    updated_at: Mapped[datetime]
    updated_by: Mapped[UUID]


class InspectionPlan(Base):
    """Which assets or rooms, how often, which duty post, by when."""

    __tablename__ = "inspection_plan"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    name: Mapped[str] = mapped_column(Text)
    frequency: Mapped[str] = mapped_column(Text)  # rules.Frequency
    weekday: Mapped[int | None]
    month_day: Mapped[int | None]
    due_time: Mapped[time | None]  # None: due by the end of the day (Asia/Shanghai)
    post_id: Mapped[UUID | None]  # the duty post (dispatch's) whose engineer on duty walks it
    post_name: Mapped[str | None] = mapped_column(Text)
    asset_ids: Mapped[list[UUID]] = mapped_column(pg.ARRAY(pg.UUID(as_uuid=True)), server_default="{}")
    rooms: Mapped[list[dict[str, str]]] = mapped_column(pg.JSONB, server_default="[]")  # [{site, room}]
    starts_on: Mapped[date]
    active: Mapped[bool] = mapped_column(server_default="true")
    # The last day whose round the worker made (or decided the plan does not run on): it resumes after it.
    generated_through: Mapped[date | None]
    version: Mapped[int] = mapped_column(server_default="1")
    created_at: Mapped[datetime]
    created_by: Mapped[UUID]
    updated_at: Mapped[datetime]
    updated_by: Mapped[UUID]


class InspectionRound(Base):
    """One plan's round of one day: open from the start of the day, then completed or missed."""

    __tablename__ = "inspection_round"
    __table_args__ = (UniqueConstraint("plan_id", "day", name="inspection_round_plan_id_day_key"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    plan_id: Mapped[UUID] = mapped_column(ForeignKey("inspection_plan.id"))
    plan_name: Mapped[str] = mapped_column(Text)
    post_id: Mapped[UUID | None]
    post_name: Mapped[str | None] = mapped_column(Text)
    day: Mapped[date] = mapped_column(index=True)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(Text)  # rules.RoundStatus
    generated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[UUID | None]
    completed_by_name: Mapped[str | None] = mapped_column(Text)
    missed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(server_default="1")


class RoundStop(Base):
    """One asset of a round: the checklist as it was when the round was made, and what the engineer found."""

    __tablename__ = "inspection_stop"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    round_id: Mapped[UUID] = mapped_column(ForeignKey("inspection_round.id"), index=True)
    position: Mapped[int]
    asset_id: Mapped[UUID] = mapped_column(index=True)  # the asset page's inspections (assets_0008)
    tag: Mapped[str] = mapped_column(Text)
    asset_name: Mapped[str | None] = mapped_column(Text)
    asset_class: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[UUID]
    site: Mapped[str] = mapped_column(Text)
    room: Mapped[str | None] = mapped_column(Text)
    template_id: Mapped[UUID | None]
    items: Mapped[list[dict[str, Any]]] = mapped_column(pg.JSONB)
    # {item key: {value, abnormal}}; None until the stop is checked.
    results: Mapped[dict[str, Any] | None] = mapped_column(pg.JSONB)
    note: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime | None]
    checked_by: Mapped[UUID | None]
    checked_by_name: Mapped[str | None] = mapped_column(Text)


class Finding(Base):
    """An abnormal item of a stop: raised once per round, asset and item, announced for intake to ticket."""

    __tablename__ = "inspection_finding"
    __table_args__ = (UniqueConstraint("stop_id", "item_key", name="inspection_finding_stop_id_item_key_key"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    round_id: Mapped[UUID] = mapped_column(ForeignKey("inspection_round.id"), index=True)
    stop_id: Mapped[UUID] = mapped_column(ForeignKey("inspection_stop.id"))
    asset_id: Mapped[UUID] = mapped_column(index=True)
    item_key: Mapped[str] = mapped_column(Text)
    item_label: Mapped[str] = mapped_column(Text)
    reading: Mapped[Any] = mapped_column(pg.JSONB)
    raised_at: Mapped[datetime]
    raised_by: Mapped[UUID]
    raised_by_name: Mapped[str] = mapped_column(Text)
    # The ticket intake made of it (`finding.ticketed`): None until that event arrives.
    ticket_id: Mapped[UUID | None] = mapped_column(default=None)
    ticket_number: Mapped[str | None] = mapped_column(Text, default=None)
    ticket_opened: Mapped[bool | None] = mapped_column(default=None)
