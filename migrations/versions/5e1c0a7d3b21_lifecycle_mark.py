"""the hourly lifecycle pass's mark per club, and the indexes that find a club's news since it (issue 15)

Revision ID: 5e1c0a7d3b21
Revises: 8aaa0a70ebdd
Create Date: 2026-12-05 00:50:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '5e1c0a7d3b21'
down_revision = '8aaa0a70ebdd'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'lifecycle_mark',
        sa.Column('club_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sessions', sa.JSON(), nullable=False),
        sa.Column('waiting', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['club_id'], ['club.id'], name=op.f('fk_lifecycle_mark_club_id_club')),
        sa.PrimaryKeyConstraint('club_id', name=op.f('pk_lifecycle_mark')),
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_club_id_created_at', ['club_id', 'created_at'], unique=False)
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ix_visit_checked_in_at', ['checked_in_at'], unique=False)
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('ix_message_club_id_claimed_at', ['club_id', 'claimed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_club_id_claimed_at')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_checked_in_at')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_club_id_created_at')
    op.drop_table('lifecycle_mark')
