"""create units, users, refresh tokens, login attempts, API keys, audit log; outbox and inbox

Revision ID: gateway_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from opsdesk_shared.messaging.tables import create_messaging_tables, drop_messaging_tables

revision = "gateway_0001"
down_revision = None
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)


def ts(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "unit",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("code", sa.Text, nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("parent_id", UUID, sa.ForeignKey("unit.id")),
        sa.Column("path", pg.ARRAY(UUID), nullable=False),
        ts("created_at"),
    )
    op.create_index("unit_path_idx", "unit", ["path"], postgresql_using="gin")
    op.create_table(
        "app_user",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("username", sa.Text, nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("phone", sa.Text),
        sa.Column("roles", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("unit_id", UUID, sa.ForeignKey("unit.id")),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("must_change_password", sa.Boolean, nullable=False, server_default=sa.false()),
        ts("password_changed_at"),
        ts("last_login_at", nullable=True),
        ts("created_at"),
        ts("updated_at"),
    )
    op.create_table(
        "refresh_token",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("user_id", UUID, sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("token_hash", sa.Text, nullable=False, unique=True),
        ts("expires_at"),
        ts("revoked_at", nullable=True),
        ts("created_at"),
    )
    op.create_index("refresh_token_user_id_idx", "refresh_token", ["user_id"])
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("succeeded", sa.Boolean, nullable=False),
        sa.Column("client_ip", sa.Text),
        ts("at"),
    )
    op.create_index("login_attempt_username_at_idx", "login_attempt", ["username", "at"])
    op.create_table(
        "api_key",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("prefix", sa.Text, nullable=False, unique=True),
        sa.Column("key_hash", sa.Text, nullable=False, unique=True),
        sa.Column("scopes", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("created_by", UUID),
        ts("created_at"),
        ts("revoked_at", nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        ts("at"),
        sa.Column("actor_id", UUID),
        sa.Column("actor_name", sa.Text),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("client_ip", sa.Text),
        sa.Column("request_id", sa.Text),
    )
    op.create_index("audit_log_at_idx", "audit_log", ["at"])
    # Append-only at the database too: no role used by the application may rewrite history.
    op.execute(
        "CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_no_update ON audit_log")
    op.execute("DROP FUNCTION audit_log_is_append_only()")
    for table in ("audit_log", "api_key", "login_attempt", "refresh_token", "app_user", "unit"):
        op.drop_table(table)
    drop_messaging_tables()
