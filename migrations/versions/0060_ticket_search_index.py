"""Ticket search index (FTS5 on SQLite, full text GIN on PostgreSQL); grid sort indexes

Revision ID: 0060
Revises: 0040
Create Date: 2026-12-04 10:00:00

"""
from alembic import op

revision = '0060'
down_revision = '0040'
branch_labels = None
depends_on = None

# An external-content FTS5 table over tickets.title/description; triggers keep it in sync.
SQLITE_UP = [
    "CREATE VIRTUAL TABLE tickets_fts USING fts5(title, description, content='tickets', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN "
    "INSERT INTO tickets_fts(rowid, title, description) "
    "VALUES (new.id, new.title, new.description); END",
    "CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); END",
    "CREATE TRIGGER tickets_fts_update AFTER UPDATE OF title, description ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); "
    "INSERT INTO tickets_fts(rowid, title, description) "
    "VALUES (new.id, new.title, new.description); END",
    "INSERT INTO tickets_fts(tickets_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS tickets_fts_update",
    "DROP TRIGGER IF EXISTS tickets_fts_delete",
    "DROP TRIGGER IF EXISTS tickets_fts_insert",
    "DROP TABLE IF EXISTS tickets_fts",
]
# The expression must match services/search.py PG_DOCUMENT exactly.
POSTGRES_UP = [
    "CREATE INDEX ix_tickets_fulltext ON tickets USING gin "
    "(to_tsvector('simple', title || ' ' || description))",
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS ix_tickets_fulltext"]


def _run(statements):
    for statement in statements:
        op.execute(statement)


def upgrade():
    # The grids filter by status or assignee and sort by number, id as tie-breaker.
    op.create_index("ix_tickets_status_number_id", "tickets", ["status", "number", "id"])
    op.create_index("ix_tickets_assignee_number_id", "tickets", ["assignee_id", "number", "id"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_UP)
    elif dialect == "postgresql":
        _run(POSTGRES_UP)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DOWN)
    elif dialect == "postgresql":
        _run(POSTGRES_DOWN)
    op.drop_index("ix_tickets_assignee_number_id", table_name="tickets")
    op.drop_index("ix_tickets_status_number_id", table_name="tickets")
