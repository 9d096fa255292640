"""sessions: a price or a package per session, the package unit a booking took, and the desk's calls about
cancelled sessions (issue 16)

Revision ID: d7b3e1f20c45
Revises: c5d2e8f41a90
Create Date: 2026-12-05 11:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd7b3e1f20c45'
down_revision = 'c5d2e8f41a90'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('club_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_minor', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('service_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_club_session_service_id_service', 'service', ['service_id'], ['id'])
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ledger_entry_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_booking_ledger_entry_id_ledger_entry', 'ledger_entry',
                                    ['ledger_entry_id'], ['id'])
    op.create_table(
        'desk_call',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('club_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('tries', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('done_by_id', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(['club_id'], ['club.id'], name='fk_desk_call_club_id_club'),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], name='fk_desk_call_member_id_member'),
        sa.ForeignKeyConstraint(['session_id'], ['club_session.id'], name='fk_desk_call_session_id_club_session'),
        sa.ForeignKeyConstraint(['done_by_id'], ['staff.id'], name='fk_desk_call_done_by_id_staff'),
        sa.PrimaryKeyConstraint('id', name='pk_desk_call'),
    )
    with op.batch_alter_table('desk_call', schema=None) as batch_op:
        batch_op.create_index('ix_desk_call_club_id_done_at_due_on', ['club_id', 'done_at', 'due_on'], unique=False)
        batch_op.create_index('ix_desk_call_member_id', ['member_id'], unique=False)


def downgrade():
    op.drop_table('desk_call')
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_constraint('fk_booking_ledger_entry_id_ledger_entry', type_='foreignkey')
        batch_op.drop_column('ledger_entry_id')
    with op.batch_alter_table('club_session', schema=None) as batch_op:
        batch_op.drop_constraint('fk_club_session_service_id_service', type_='foreignkey')
        batch_op.drop_column('service_id')
        batch_op.drop_column('price_minor')
