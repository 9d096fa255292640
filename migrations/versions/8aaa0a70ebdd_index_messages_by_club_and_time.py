"""index messages by club and creation: the outbox's pages, newest first, read from the index (issue 15)

Revision ID: 8aaa0a70ebdd
Revises: e41b7c9a05d2
Create Date: 2026-12-04 21:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '8aaa0a70ebdd'
down_revision = 'e41b7c9a05d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('ix_message_club_id_created_at_id', ['club_id', 'created_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_club_id_created_at_id')
