"""audit log hash chain: each entry carries the hash of the one before, computed by the database

Revision ID: gateway_0002
Revises: gateway_0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "gateway_0002"
down_revision = "gateway_0001"
branch_labels = None
depends_on = None

# One definition of an entry's hash, used by the insert trigger and by verification (gateway/audit.py):
# sha256 over the previous hash and every field, in a fixed text form.
ENTRY_HASH = """
CREATE FUNCTION audit_log_entry_hash(e audit_log) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws(chr(31),
    e.prev_hash, e.chain_seq::text, e.id::text,
    to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
    coalesce(e.actor_id::text, ''), coalesce(e.actor_name, ''), e.action, e.method, e.path, e.status::text,
    coalesce(e.client_ip, ''), coalesce(e.request_id, '')), 'UTF8')), 'hex')
$$
"""

# Entries are chained in the order they commit: the lock is held to the end of the inserting transaction,
# so the next writer reads this entry as its predecessor.
CHAIN = """
CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE last audit_log;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('audit_log_chain'));
  SELECT * INTO last FROM audit_log ORDER BY chain_seq DESC NULLS LAST LIMIT 1;
  NEW.chain_seq := coalesce(last.chain_seq, 0) + 1;
  NEW.prev_hash := coalesce(last.entry_hash, '');
  NEW.entry_hash := audit_log_entry_hash(NEW);
  RETURN NEW;
END $$
"""


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("chain_seq", sa.BigInteger))
    op.add_column("audit_log", sa.Column("prev_hash", sa.Text))
    op.add_column("audit_log", sa.Column("entry_hash", sa.Text))
    op.execute(ENTRY_HASH)
    op.execute(CHAIN)
    # Entries written before the chain existed join it in id order (the append-only trigger is lifted for
    # this one statement of the migration, and put back).
    op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
    op.execute(
        """
        DO $$
        DECLARE e audit_log; prev text := ''; n bigint := 0;
        BEGIN
          FOR e IN SELECT * FROM audit_log ORDER BY id LOOP
            n := n + 1;
            e.chain_seq := n;
            e.prev_hash := prev;
            e.entry_hash := audit_log_entry_hash(e);
            UPDATE audit_log SET chain_seq = e.chain_seq, prev_hash = e.prev_hash, entry_hash = e.entry_hash
              WHERE id = e.id;
            prev := e.entry_hash;
          END LOOP;
        END $$
        """
    )
    op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
    op.execute("CREATE UNIQUE INDEX audit_log_chain_seq_idx ON audit_log (chain_seq)")
    op.execute(
        "CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_chain()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_chain ON audit_log")
    op.execute("DROP FUNCTION audit_log_chain()")
    op.execute("DROP FUNCTION audit_log_entry_hash(audit_log)")
    op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
    op.drop_column("audit_log", "entry_hash")
    op.drop_column("audit_log", "prev_hash")
    op.drop_column("audit_log", "chain_seq")
    op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
