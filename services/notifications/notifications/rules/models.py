"""Message texts and which trigger sends which (admin-editable, SPEC §6)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from notifications.base import Base


class SmsTemplate(Base, kw_only=True):
    """A message text. `trigger` set: a rule's template, limited to that trigger's variables. Unset: a
    business template for `system` clients, with whatever variables it names."""

    __tablename__ = "sms_template"

    code: Mapped[str] = mapped_column(primary_key=True)
    trigger: Mapped[str | None] = mapped_column(default=None)
    body: Mapped[str]
    # The template registered with a template-based provider (Aliyun's 模板CODE, e.g. SMS_123456789), and which
    # OpsDesk variable fills each of its parameters ({"number": "number", "name": "engineer_name"}).
    provider_code: Mapped[str | None] = mapped_column(default=None)
    provider_params: Mapped[dict[str, str] | None] = mapped_column(sa.JSON, default=None)
    updated_at: Mapped[datetime]


class SmsRule(Base, kw_only=True):
    __tablename__ = "sms_rule"

    trigger: Mapped[str] = mapped_column(primary_key=True)
    template_code: Mapped[str] = mapped_column(sa.ForeignKey("sms_template.code"))
    enabled: Mapped[bool] = mapped_column(default=True)
