"""A ticket may follow up a closed one of the same customer

Revision ID: 0110
Revises: 0100
Create Date: 2026-12-04 12:00:00

A closed ticket takes no more replies; its page points the customer to a new ticket, which
keeps a link back to it.
"""
import sqlalchemy as sa
from alembic import op

revision = '0110'
down_revision = '0100'
branch_labels = None
depends_on = None


FOREIGN_KEY = "fk_tickets_follows_id_tickets"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # In place: a batch rebuild of tickets would drop the search triggers on it.
        op.execute(f"ALTER TABLE tickets ADD COLUMN follows_id INTEGER "
                   f"CONSTRAINT {FOREIGN_KEY} REFERENCES tickets (id)")
        return
    op.add_column("tickets", sa.Column("follows_id", sa.Integer(), nullable=True))
    op.create_foreign_key(FOREIGN_KEY, "tickets", "tickets", ["follows_id"], ["id"])


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(FOREIGN_KEY, "tickets", type_="foreignkey")
    op.drop_column("tickets", "follows_id")
