"""spares: the parts catalogue, stores, stock, movements, work orders and their reconciliation; users (for the
project managers a low stock is announced to)

Revision ID: assets_0005
Revises: assets_findings_0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "assets_0005"
down_revision = "assets_findings_0005"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "directory_user",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("phone", sa.Text),  # ciphertext (opsdesk_shared.personal_data)
        sa.Column("roles", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("applied_version", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "spare_part",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("part_number", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("asset_classes", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("unit_cost", sa.Numeric(12, 2), nullable=False),
        sa.Column("minimum_stock", sa.Integer, nullable=False, server_default="0"),
        sa.Column("low_since", TS),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", UUID, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", UUID, nullable=False),
        sa.UniqueConstraint("part_number", name="spare_part_part_number_key"),
        sa.CheckConstraint("minimum_stock >= 0", name="spare_part_minimum_not_negative_check"),
    )
    op.create_table(
        "spare_store",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("site", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", UUID, nullable=False),
        sa.UniqueConstraint("code", name="spare_store_code_key"),
    )
    op.create_table(
        "spare_stock",
        sa.Column("part_id", UUID, sa.ForeignKey("spare_part.id", name="spare_stock_part_id_fkey"), primary_key=True),
        sa.Column(
            "store_id", UUID, sa.ForeignKey("spare_store.id", name="spare_stock_store_id_fkey"), primary_key=True
        ),
        sa.Column("on_hand", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", TS, nullable=False),
        # The last word on overdrawing: whatever a request does, the store never holds less than nothing.
        sa.CheckConstraint("on_hand >= 0", name="spare_stock_on_hand_not_negative_check"),
    )
    op.create_table(
        "spare_movement",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("part_id", UUID, sa.ForeignKey("spare_part.id", name="spare_movement_part_id_fkey"), nullable=False),
        sa.Column(
            "store_id", UUID, sa.ForeignKey("spare_store.id", name="spare_movement_store_id_fkey"), nullable=False
        ),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("work_order_id", UUID),
        sa.Column("reference", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("actor_id", UUID),
        sa.Column("actor_name", sa.Text),
        sa.Column("at", TS, nullable=False),
        sa.CheckConstraint("quantity > 0", name="spare_movement_quantity_positive_check"),
        sa.CheckConstraint("kind IN ('received', 'issued', 'returned')", name="spare_movement_known_kind_check"),
    )
    op.create_index("spare_movement_part_id_idx", "spare_movement", ["part_id"])
    op.create_index("spare_movement_work_order_id_idx", "spare_movement", ["work_order_id"])
    op.create_index("spare_movement_at_idx", "spare_movement", ["at"])
    # Movements are the stock's history: never rewritten, never deleted.
    op.execute(
        """
        CREATE FUNCTION spare_movement_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'spare_movement is append-only';
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER spare_movement_append_only BEFORE UPDATE OR DELETE ON spare_movement
            FOR EACH ROW EXECUTE FUNCTION spare_movement_append_only()
        """
    )
    op.create_table(
        "spare_work_order",
        sa.Column("work_order_id", UUID, primary_key=True),
        sa.Column("ticket_id", UUID, nullable=False),
        sa.Column("ticket_number", sa.Text),
        sa.Column("engineer_id", UUID, nullable=False),
        sa.Column("engineer_name", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("status_at", TS, nullable=False),
        sa.Column("reconciled_at", TS),
    )
    op.create_index("spare_work_order_ticket_number_idx", "spare_work_order", ["ticket_number"])
    op.create_table(
        "spare_reconciliation",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("work_order_id", UUID, nullable=False),
        sa.Column("ticket_number", sa.Text),
        sa.Column("part_id", UUID),
        sa.Column("part_number", sa.Text),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("used", sa.Integer, nullable=False),
        sa.Column("issued", sa.Integer, nullable=False),
        sa.Column("returned", sa.Integer, nullable=False),
        sa.Column("unissued", sa.Integer, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("flagged", sa.Boolean, nullable=False),
        sa.Column("reconciled_at", TS, nullable=False),
        sa.UniqueConstraint("work_order_id", "part_number", "name", name="one_line_per_part"),
    )
    op.create_index("spare_reconciliation_work_order_id_idx", "spare_reconciliation", ["work_order_id"])
    op.create_index("spare_reconciliation_flagged_idx", "spare_reconciliation", ["flagged"])
    op.create_index("spare_reconciliation_reconciled_at_idx", "spare_reconciliation", ["reconciled_at"])


def downgrade() -> None:
    op.drop_table("spare_reconciliation")
    op.drop_table("spare_work_order")
    op.execute("DROP TRIGGER spare_movement_append_only ON spare_movement")
    op.execute("DROP FUNCTION spare_movement_append_only()")
    op.drop_table("spare_movement")
    op.drop_table("spare_stock")
    op.drop_table("spare_store")
    op.drop_table("spare_part")
    op.drop_table("directory_user")
