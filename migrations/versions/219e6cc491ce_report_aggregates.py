"""reports' stored partial aggregates: a refresh row per scope, its counts and its members at risk (issue 15)

Revision ID: 219e6cc491ce
Revises: 5e1c0a7d3b21
Create Date: 2026-12-05 00:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '219e6cc491ce'
down_revision = '5e1c0a7d3b21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_refresh',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=255), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_refresh')),
    sa.UniqueConstraint('scope', name=op.f('uq_report_refresh_scope'))
    )
    op.create_table('report_count',
    sa.Column('refresh_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('figure', sa.String(length=24), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('k', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['refresh_id'], ['report_refresh.id'],
                            name=op.f('fk_report_count_refresh_id_report_refresh')),
    sa.PrimaryKeyConstraint('refresh_id', 'plan_id', 'figure', 'day', 'k', name=op.f('pk_report_count'))
    )
    op.create_table('report_at_risk',
    sa.Column('refresh_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('rank', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('days_left', sa.Integer(), nullable=True),
    sa.Column('last_visit', sa.Date(), nullable=True),
    sa.Column('reasons', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['refresh_id'], ['report_refresh.id'],
                            name=op.f('fk_report_at_risk_refresh_id_report_refresh')),
    sa.PrimaryKeyConstraint('refresh_id', 'plan_id', 'rank', name=op.f('pk_report_at_risk'))
    )
    op.create_table('report_tool_table',
    sa.Column('refresh_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('plan_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['refresh_id'], ['report_refresh.id'],
                            name=op.f('fk_report_tool_table_refresh_id_report_refresh')),
    sa.PrimaryKeyConstraint('refresh_id', 'starts_on', 'ends_on', 'plan_id', name=op.f('pk_report_tool_table'))
    )


def downgrade():
    op.drop_table('report_tool_table')
    op.drop_table('report_at_risk')
    op.drop_table('report_count')
    op.drop_table('report_refresh')
