"""Alibaba Cloud SMS: provider template codes and parameter mappings on templates; what a message is sent as

Revision ID: notifications_0010
Revises: notifications_0008
Create Date: 2026-12-07
"""

import json
import string

import sqlalchemy as sa
from alembic import op

revision = "notifications_0010"
down_revision = "notifications_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sms_template", sa.Column("provider_code", sa.Text(), nullable=True))
    op.add_column("sms_template", sa.Column("provider_params", sa.JSON(), nullable=True))
    op.add_column("sms_message", sa.Column("provider_template", sa.Text(), nullable=True))
    op.add_column("sms_message", sa.Column("template_params", sa.JSON(), nullable=True))
    op.add_column("sms_message", sa.Column("out_id", sa.Text(), nullable=True))
    # Each template's parameters named as its variables (what an admin registering it with Aliyun naturally
    # does); the provider code itself is Aliyun's to give, entered by the admin.
    template = sa.table("sms_template", sa.column("code", sa.Text), sa.column("body", sa.Text))
    bind = op.get_bind()
    for code, body in bind.execute(sa.select(template.c.code, template.c.body)).all():
        names = [n for _, n, _, _ in string.Formatter().parse(body) if n]
        mapping = {n: n for n in dict.fromkeys(names)}
        bind.execute(
            sa.text("UPDATE sms_template SET provider_params = CAST(:m AS json) WHERE code = :c"),
            {"m": json.dumps(mapping), "c": code},
        )


def downgrade() -> None:
    op.drop_column("sms_message", "out_id")
    op.drop_column("sms_message", "template_params")
    op.drop_column("sms_message", "provider_template")
    op.drop_column("sms_template", "provider_params")
    op.drop_column("sms_template", "provider_code")
