"""audit log: each entry's before/after (part of its hash), and retention that purges only old entries

- `changes` holds what the write changed, row by row (opsdesk_shared/audit_trail.py). The entry hash now
  covers it; `concat_ws` skips NULLs, so entries written before keep their hashes.
- Retention (gateway/audit_retention.py) removes the oldest entries, a prefix of the chain, after archiving
  them. The append-only trigger lets a DELETE through only inside such a purge (the transaction-local
  setting `opsdesk.audit_purge`) and only for entries older than 180 days, the legal minimum: even the
  purge cannot shorten what is kept.
- `audit_log_purge` records every purge: which sequence numbers went, the last one's hash (where the chain
  now starts, so verification still holds end to end), and the archive's SHA-256. It is append-only too.

Revision ID: gateway_0005
Revises: gateway_0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "gateway_0005"
down_revision = "gateway_0004"
branch_labels = None
depends_on = None

MINIMUM_RETENTION_DAYS = 180

ENTRY_HASH_WITH_CHANGES = """
CREATE OR REPLACE FUNCTION audit_log_entry_hash(e audit_log) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws(chr(31),
    e.prev_hash, e.chain_seq::text, e.id::text,
    to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
    coalesce(e.actor_id::text, ''), coalesce(e.actor_name, ''), e.action, e.method, e.path, e.status::text,
    coalesce(e.client_ip, ''), coalesce(e.request_id, ''), e.changes::text), 'UTF8')), 'hex')
$$
"""

APPEND_ONLY_BUT_RETENTION = f"""
CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('opsdesk.audit_purge', true) = 'on'
     AND OLD.at < now() - make_interval(days => {MINIMUM_RETENTION_DAYS}) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only';
END $$
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$
"""


def upgrade() -> None:
    # The column is added before the function that reads it is replaced: the function takes the row type.
    op.add_column("audit_log", sa.Column("changes", pg.JSONB))
    op.execute(ENTRY_HASH_WITH_CHANGES)
    op.execute(APPEND_ONLY_BUT_RETENTION)
    op.create_table(
        "audit_log_purge",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_seq", sa.BigInteger, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("entries", sa.BigInteger, nullable=False),
        sa.Column("last_hash", sa.Text, nullable=False),
        sa.Column("archive", sa.Text, nullable=False),
        sa.Column("archive_sha256", sa.Text, nullable=False),
    )
    op.execute(
        "CREATE FUNCTION audit_log_purge_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'audit_log_purge is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_log_purge_no_update BEFORE UPDATE OR DELETE ON audit_log_purge "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_purge_is_append_only()"
    )


def downgrade() -> None:
    op.drop_table("audit_log_purge")
    op.execute("DROP FUNCTION audit_log_purge_is_append_only()")
    op.execute(APPEND_ONLY)
    op.execute(ENTRY_HASH_WITH_CHANGES.replace(", e.changes::text", ""))
    op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
    op.drop_column("audit_log", "changes")
    op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
