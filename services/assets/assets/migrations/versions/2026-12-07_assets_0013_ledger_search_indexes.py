"""the ledger found fast at 50,000 assets: two-character searches (a name, a maker: 张伟, 华为) on an index of the
search text's character pairs (a trigram index cannot serve a pattern shorter than three characters, so they
read the whole table), and the rooms an inspection plan names on an index of (site, room) (the worker read the
whole table once per plan)

Revision ID: assets_0013
Revises: assets_0014
Create Date: 2026-12-07
"""

from alembic import op

revision = "assets_0013"
down_revision = "assets_0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every pair of neighbouring characters of the text, lower-cased (pairs with a space left out; GIN keeps each
    # key once): `asset_bigrams(search_text) @> ARRAY[lower(q)]` finds the rows a two-character `q` may match, and
    # the ILIKE beside it decides (ledger/service.py). PL/pgSQL, as a loop costs a tenth of what a set-returning
    # SQL function does on every row written (about 0.03 ms a row). Its cost declared high, so that the planner
    # prefers the index to calling it row by row.
    op.execute(
        """
        CREATE FUNCTION asset_bigrams(t text) RETURNS text[]
        LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
        DECLARE
            l text := lower(t);
            pair text;
            pairs text[] := '{}';
        BEGIN
            FOR i IN 1 .. char_length(l) - 1 LOOP
                pair := substr(l, i, 2);
                IF strpos(pair, ' ') = 0 THEN
                    pairs := pairs || pair;
                END IF;
            END LOOP;
            RETURN pairs;
        END
        $$
        """
    )
    # Written straight into the index, not through GIN's pending list: an import of 5,000 assets otherwise merges
    # the list inside its own transaction (seconds), and a search reads the list whole until it is merged.
    op.execute(
        "CREATE INDEX asset_search_text_bigram_idx ON asset USING gin (asset_bigrams(search_text)) "
        "WITH (fastupdate = off)"
    )
    op.create_index("asset_site_room_idx", "asset", ["site", "room"])


def downgrade() -> None:
    op.drop_index("asset_site_room_idx", table_name="asset")
    op.execute("DROP INDEX asset_search_text_bigram_idx")
    op.execute("DROP FUNCTION asset_bigrams(text)")
