"""audit log: a chain keyed with the gateway's audit key instead of a keyless hash the database computed

- Entries are chained by the gateway with HMAC-SHA256 under OPSDESK_AUDIT_KEY_FILE (gateway/audit_chain.py);
  the database's hash function and insert trigger go. `audit_chain_head` holds the last sequence number and
  MAC (its row lock orders the appends, as the advisory lock did).
- Existing entries are re-keyed here, by this migration running in the gateway's process with the key, after
  their keyless chain is checked: a chain that no longer holds is refused (re-keying it would launder the
  tampering), so the migration stops and names the entry. Why re-key rather than keep a legacy segment: one
  rule for every entry, one verification path, and nothing left that a database holder can recompute.
- Purge records carry a signature with the key (`signature`); the existing ones are signed here.
- TRUNCATE is refused on the three tables (row triggers do not see it).

Production roles (README): the tables belong to the role migrations run as; the gateway logs in as another
role granted only what it needs (`python -m gateway grant-app-role <role>`, gateway/database_roles.py), which
can neither disable the triggers nor alter the tables.

Revision ID: gateway_0009
Revises: gateway_0008
"""

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql as pg

revision = "gateway_0009"
down_revision = "gateway_0008"
branch_labels = None
depends_on = None

BATCH = 5000

KEYLESS_HASH = """
CREATE OR REPLACE FUNCTION audit_log_entry_hash(e audit_log) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws(chr(31),
    e.prev_hash, e.chain_seq::text, e.id::text,
    to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
    coalesce(e.actor_id::text, ''), coalesce(e.actor_name, ''), e.action, e.method, e.path, e.status::text,
    coalesce(e.client_ip, ''), coalesce(e.request_id, ''), e.changes::text), 'UTF8')), 'hex')
$$
"""
KEYLESS_CHAIN = """
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
LEGACY_WALK = sa.text(
    "SELECT chain_seq, entry_hash, prev_hash, audit_log_entry_hash(a) AS recomputed "
    "FROM audit_log a WHERE chain_seq > :after OR (chain_seq IS NULL AND :after = -1) "
    "ORDER BY chain_seq NULLS FIRST LIMIT :batch"
)
ROWS = sa.text(
    "SELECT chain_seq, prev_hash, at, actor_id, actor_name, action, method, path, status, client_ip, request_id, "
    "changes FROM audit_log WHERE chain_seq > :after ORDER BY chain_seq LIMIT :batch"
).columns(changes=pg.JSONB)
TABLES = ("audit_log", "audit_log_purge", "audit_chain_head")


def upgrade() -> None:
    from gateway.audit_chain import AuditKey

    settings = context.config.attributes.get("settings")
    if settings is None or not hasattr(settings, "audit_key_file"):
        raise RuntimeError("gateway_0009 re-keys the audit log: run it through `python -m gateway migrate`")
    key = AuditKey.load(settings.audit_key_file)
    conn = op.get_bind()
    purges = conn.execute(sa.text("SELECT * FROM audit_log_purge ORDER BY last_seq")).mappings().all()
    anchor_seq, anchor_hash = (purges[-1]["last_seq"], purges[-1]["last_hash"]) if purges else (0, "")
    _check_keyless_chain(conn, anchor_seq, anchor_hash)

    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer, sa.CheckConstraint("id = 1"), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.Text, nullable=False),
    )
    op.execute("DROP TRIGGER audit_log_chain ON audit_log")
    op.execute("DROP FUNCTION audit_log_chain()")
    op.execute("DROP FUNCTION audit_log_entry_hash(audit_log)")

    op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
    last_seq, last_hash = _rekey(conn, key, anchor_seq, anchor_hash)
    op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
    head = sa.text("INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, :seq, :hash)")
    conn.execute(head, {"seq": last_seq, "hash": last_hash})

    op.add_column("audit_log_purge", sa.Column("signature", sa.Text))
    op.execute("ALTER TABLE audit_log_purge DISABLE TRIGGER audit_log_purge_no_update")
    for purge in purges:
        conn.execute(
            sa.text("UPDATE audit_log_purge SET signature = :sig WHERE id = :id"),
            {"sig": key.purge_signature(dict(purge)), "id": purge["id"]},
        )
    op.execute("ALTER TABLE audit_log_purge ENABLE TRIGGER audit_log_purge_no_update")

    op.execute(
        "CREATE FUNCTION audit_refuses_removal() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head "
        "FOR EACH ROW EXECUTE FUNCTION audit_refuses_removal()"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuses_removal()"
        )


def _check_keyless_chain(conn: sa.Connection, anchor_seq: int, anchor_hash: str) -> None:
    previous_seq, previous_hash, after = anchor_seq, anchor_hash, -1
    while rows := conn.execute(LEGACY_WALK, {"after": after, "batch": BATCH}).all():
        for row in rows:
            if row.chain_seq is None:
                raise RuntimeError("audit_log holds an entry outside the chain: investigate before re-keying")
            problem = (
                "its content no longer matches its hash"
                if row.entry_hash != row.recomputed
                else "it does not point at the entry before it"
                if row.prev_hash != previous_hash
                else "entries before it are missing"
                if row.chain_seq != previous_seq + 1
                else None
            )
            if problem:
                raise RuntimeError(
                    f"the audit chain does not hold at entry {row.chain_seq} ({problem}); it is not re-keyed: "
                    "investigate, restore the entries from a backup, then migrate again"
                )
            previous_seq, previous_hash = row.chain_seq, row.entry_hash
        after = rows[-1].chain_seq


def _rekey(conn: sa.Connection, key: object, anchor_seq: int, anchor_hash: str) -> tuple[int, str]:
    from gateway.audit_chain import ENTRY_FIELDS, AuditKey

    assert isinstance(key, AuditKey)
    after, prev = anchor_seq, anchor_hash
    while rows := conn.execute(ROWS, {"after": after, "batch": BATCH}).mappings().all():
        seqs, prevs, macs = [], [], []
        for row in rows:
            entry = dict(row) | {"prev_hash": prev}
            mac = key.entry_mac({name: entry[name] for name in ENTRY_FIELDS})
            seqs.append(row["chain_seq"])
            prevs.append(prev)
            macs.append(mac)
            prev = mac
        conn.execute(
            sa.text(
                "UPDATE audit_log a SET prev_hash = v.prev, entry_hash = v.mac "
                "FROM unnest(CAST(:seqs AS bigint[]), CAST(:prevs AS text[]), CAST(:macs AS text[])) "
                "AS v(seq, prev, mac) WHERE a.chain_seq = v.seq"
            ),
            {"seqs": seqs, "prevs": prevs, "macs": macs},
        )
        after = seqs[-1]
    return after, prev


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
    op.drop_table("audit_chain_head")
    op.execute("DROP FUNCTION audit_refuses_removal()")
    op.execute("ALTER TABLE audit_log_purge DISABLE TRIGGER audit_log_purge_no_update")
    op.drop_column("audit_log_purge", "signature")
    op.execute("ALTER TABLE audit_log_purge ENABLE TRIGGER audit_log_purge_no_update")
    op.execute(KEYLESS_HASH)
    op.execute(KEYLESS_CHAIN)
    # The keyless chain again, from the last purge's hash (what gateway_0002 did from the start).
    op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
    op.execute(
        """
        DO $$
        DECLARE e audit_log;
          prev text := coalesce((SELECT last_hash FROM audit_log_purge ORDER BY last_seq DESC LIMIT 1), '');
        BEGIN
          FOR e IN SELECT * FROM audit_log ORDER BY chain_seq LOOP
            e.prev_hash := prev;
            e.entry_hash := audit_log_entry_hash(e);
            UPDATE audit_log SET prev_hash = e.prev_hash, entry_hash = e.entry_hash WHERE id = e.id;
            prev := e.entry_hash;
          END LOOP;
        END $$
        """
    )
    op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
    op.execute(
        "CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_chain()"
    )
