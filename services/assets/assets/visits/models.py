"""User visits (回访): plans (which units, how often), each visit owed or arranged, its record, the hidden
risks it found (each of which can become a ticket) and the visited unit's satisfaction."""

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from assets.db import Base
from opsdesk_shared.personal_data import EncryptedPhone


class VisitPlan(Base):
    __tablename__ = "visit_plan"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    name: Mapped[str] = mapped_column(Text)
    unit_kind: Mapped[str] = mapped_column(Text)  # sub_bureau, police_station, floating_station
    root_unit_id: Mapped[UUID | None]  # only units within this subtree; None: all of them
    period: Mapped[str] = mapped_column(Text)  # rules.Period
    starts_on: Mapped[date]
    active: Mapped[bool] = mapped_column(server_default="true")
    version: Mapped[int] = mapped_column(server_default="1")
    created_at: Mapped[datetime]
    created_by: Mapped[UUID]
    updated_at: Mapped[datetime]
    updated_by: Mapped[UUID]


class Visit(Base):
    """One visit owed to one unit in one window (a plan's: unique per plan, unit and window), then done."""

    __tablename__ = "visit"
    __table_args__ = (UniqueConstraint("plan_id", "unit_id", "due_from", name="visit_plan_id_unit_id_due_from_key"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    plan_id: Mapped[UUID | None] = mapped_column(ForeignKey("visit_plan.id"), index=True)
    unit_id: Mapped[UUID] = mapped_column(index=True)
    unit_name: Mapped[str] = mapped_column(Text)
    unit_path: Mapped[list[UUID]] = mapped_column(pg.ARRAY(pg.UUID(as_uuid=True)), server_default="{}")
    due_from: Mapped[date]
    due_by: Mapped[date] = mapped_column(index=True)
    scheduled_on: Mapped[date | None]  # the day agreed with the unit, if any
    status: Mapped[str] = mapped_column(Text)  # rules.VisitStatus
    # The record, once done.
    visited_at: Mapped[datetime | None]
    visitor_id: Mapped[UUID | None]
    visitor_name: Mapped[str | None] = mapped_column(Text)
    companions: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(Text)  # whom they met
    contact_phone: Mapped[str | None] = mapped_column(EncryptedPhone)
    usage: Mapped[str | None] = mapped_column(Text)  # how the system is used
    checked: Mapped[str | None] = mapped_column(Text)  # what was checked
    environment: Mapped[str | None] = mapped_column(Text)
    proposals: Mapped[str | None] = mapped_column(Text)
    # The unit's satisfaction survey.
    satisfaction: Mapped[int | None]
    satisfaction_comment: Mapped[str | None] = mapped_column(Text)
    surveyed_at: Mapped[datetime | None]
    surveyed_by: Mapped[UUID | None]
    version: Mapped[int] = mapped_column(server_default="1")
    created_at: Mapped[datetime]
    created_by: Mapped[UUID | None]


class VisitRisk(Base):
    """A hidden risk found on a visit; raised as a ticket at most once (the ticket's number kept here)."""

    __tablename__ = "visit_risk"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    visit_id: Mapped[UUID] = mapped_column(ForeignKey("visit.id"), index=True)
    position: Mapped[int]
    description: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime | None]  # asked to become a ticket
    raised_by: Mapped[UUID | None]
    ticket_id: Mapped[UUID | None]
    ticket_number: Mapped[str | None] = mapped_column(Text)
