"""the `spares_stock_low` rule: each project manager is texted when a spare part goes below its minimum

Revision ID: notifications_0011
Revises: notifications_0010
Create Date: 2026-12-07
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "notifications_0011"
down_revision = "notifications_0010"
branch_labels = None
depends_on = None

# The text as first shipped (later edits are data, made through the API).
BODY = "备件低于最低库存：{part}（{store}）合计现有{on_hand}，最低{minimum}，请及时补货。"
# Aliyun's parameters named as the variables, as notifications_0010 did for the other templates; the template
# code itself is Aliyun's to give once the text is registered, entered by the admin.
PARAMS = {"part": "part", "store": "store", "on_hand": "on_hand", "minimum": "minimum"}


def upgrade() -> None:
    template = sa.table(
        "sms_template",
        sa.column("code", sa.Text),
        sa.column("trigger", sa.Text),
        sa.column("body", sa.Text),
        sa.column("provider_params", sa.JSON),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    rule = sa.table(
        "sms_rule", sa.column("trigger", sa.Text), sa.column("template_code", sa.Text), sa.column("enabled", sa.Boolean)
    )
    op.bulk_insert(
        template,
        [
            {
                "code": "spares_stock_low",
                "trigger": "spares_stock_low",
                "body": BODY,
                "provider_params": PARAMS,
                "updated_at": datetime.now(UTC),
            }
        ],
    )
    op.bulk_insert(rule, [{"trigger": "spares_stock_low", "template_code": "spares_stock_low", "enabled": True}])


def downgrade() -> None:
    op.execute("DELETE FROM sms_rule WHERE trigger = 'spares_stock_low'")
    op.execute("DELETE FROM sms_template WHERE code = 'spares_stock_low'")
