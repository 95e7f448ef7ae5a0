"""Dashboard snapshots: the figures stored per time zone, refreshed by the jobs

Revision ID: 0080
Revises: 0070
Create Date: 2026-12-03 21:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0080'
down_revision = '0070_intake_fields'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'dashboard_snapshots',
        sa.Column('zone', sa.String(length=64), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.Column('figures', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('zone', name=op.f('pk_dashboard_snapshots')))


def downgrade():
    op.drop_table('dashboard_snapshots')
