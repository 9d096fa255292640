"""The assignment log, the programme holdout and what a staff call costs (issue 14)

Every per-tool figure is computed from `assignment`: one row per (cycle, tool) drawn the first time the tool's
trigger fires, for both arms alike, with the holdout share in force. Existing touchpoints fill it where they
allow: a (cycle, tool) whose touchpoints are all `held_out` was held out, any other was assigned the tool; the
share in force then was not stored, so the tool's share today stands in for it (a held-out cycle of a tool
now at 0% gets the product's default of 10%); the day is the first touchpoint's. Cycles already running get
their programme draw the first time the engine sees them after this migration.

Revision ID: e41b7c9a05d2
Revises: 7c1e5a9d2b40
Create Date: 2026-12-04 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e41b7c9a05d2'
down_revision = '7c1e5a9d2b40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('club', schema=None) as batch_op:
        batch_op.add_column(sa.Column('programme_holdout_pct', sa.Integer(), server_default='5', nullable=False))
        batch_op.add_column(sa.Column('call_minutes', sa.Integer(), server_default='10', nullable=False))
        batch_op.add_column(sa.Column('staff_hour_cost_minor', sa.Integer(), server_default='2000', nullable=False))
        batch_op.create_check_constraint(op.f('ck_club_programme_holdout_range'),
                                         'programme_holdout_pct >= 0 AND programme_holdout_pct <= 50')
    op.create_table(
        'assignment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('club_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=6), nullable=False),
        sa.Column('membership_id', sa.Integer(), nullable=True),
        sa.Column('tool_key', sa.String(length=32), nullable=False),
        sa.Column('tool_id', sa.Integer(), nullable=True),
        sa.Column('held', sa.Boolean(), nullable=False),
        sa.Column('share_pct', sa.Integer(), nullable=False),
        sa.Column('first_on', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('member', 'lead')", name=op.f('ck_assignment_cycle_kind')),
        sa.CheckConstraint("kind <> 'member' OR membership_id IS NOT NULL", name=op.f('ck_assignment_member_cycle')),
        sa.CheckConstraint('share_pct >= 0 AND share_pct <= 50', name=op.f('ck_assignment_share_range')),
        sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_assignment_club_id_club')),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_assignment_member_id_member')),
        sa.ForeignKeyConstraint(['membership_id'], ['membership.id'],
                                name=op.f('fk_assignment_membership_id_membership')),
        sa.ForeignKeyConstraint(['tool_id'], ['tool.id'], name=op.f('fk_assignment_tool_id_tool')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment')),
        sa.UniqueConstraint('membership_id', 'tool_key', name=op.f('uq_assignment_membership_id_tool_key')),
    )
    op.create_index('ix_assignment_club_id_first_on', 'assignment', ['club_id', 'first_on'], unique=False)
    op.create_index(op.f('ix_assignment_member_id'), 'assignment', ['member_id'], unique=False)
    op.execute(sa.text("""
        INSERT INTO assignment (club_id, member_id, kind, membership_id, tool_key, tool_id, held, share_pct,
                                first_on, created_at)
        SELECT t.club_id, t.member_id, 'member', t.membership_id, tool.key, t.tool_id,
               SUM(CASE WHEN t.status = 'held_out' THEN 1 ELSE 0 END) = COUNT(*),
               CASE WHEN SUM(CASE WHEN t.status = 'held_out' THEN 1 ELSE 0 END) = COUNT(*)
                         AND tool.holdout_pct = 0 THEN 10 ELSE tool.holdout_pct END,
               MIN(t.due_on), MIN(t.planned_at)
        FROM touchpoint t JOIN tool ON tool.id = t.tool_id
        GROUP BY t.club_id, t.member_id, t.membership_id, tool.key, t.tool_id, tool.holdout_pct
    """))


def downgrade():
    op.drop_index(op.f('ix_assignment_member_id'), table_name='assignment')
    op.drop_index('ix_assignment_club_id_first_on', table_name='assignment')
    op.drop_table('assignment')
    with op.batch_alter_table('club', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_club_programme_holdout_range'), type_='check')
        batch_op.drop_column('staff_hour_cost_minor')
        batch_op.drop_column('call_minutes')
        batch_op.drop_column('programme_holdout_pct')
