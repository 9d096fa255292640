"""assignment: the (club, first day) index also holds the tool key and the member, so the per-tool table's draws
per month are read from the index alone (issue 15: 0.7 s of the renewal report at 100,000 cycles on SQLite)

Revision ID: b8e4f2a6c913
Revises: d7b3e1f20c45
Create Date: 2026-12-05 20:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b8e4f2a6c913'
down_revision = 'd7b3e1f20c45'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_assignment_club_id_first_on')
        batch_op.create_index('ix_assignment_club_id_first_on', ['club_id', 'first_on', 'tool_key', 'member_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_assignment_club_id_first_on')
        batch_op.create_index('ix_assignment_club_id_first_on', ['club_id', 'first_on'], unique=False)
