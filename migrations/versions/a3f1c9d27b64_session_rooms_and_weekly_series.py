"""sessions: a room, and the weekly series a session belongs to (issue 16)

Revision ID: a3f1c9d27b64
Revises: 6ec72c7f8d82
Create Date: 2026-12-05 08:25:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a3f1c9d27b64'
down_revision = '6ec72c7f8d82'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('club_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('room', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_club_session_series_id', ['series_id'], unique=False)


def downgrade():
    with op.batch_alter_table('club_session', schema=None) as batch_op:
        batch_op.drop_index('ix_club_session_series_id')
        batch_op.drop_column('series_id')
        batch_op.drop_column('room')
