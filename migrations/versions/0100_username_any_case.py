"""Usernames are unique in any case, and found by sign-in in any case

Revision ID: 0100
Revises: 0090
Create Date: 2026-12-04 11:50:00

Registration already refused "Anna" beside "anna"; sign-in compared exactly, so "kunde" could
not sign in as "Kunde". Both now compare lower(username) through this index.
"""
from alembic import op
from sqlalchemy import text

revision = '0100'
down_revision = '0090'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_users_username_lower", "users", [text("lower(username)")], unique=True)


def downgrade():
    op.drop_index("ix_users_username_lower", table_name="users")
