"""staff_contact: an index by instant, so the hourly lifecycle pass finds the contacts logged since its last look in
any club of the chain (a desk call about a session at another club is news for the member's home club)

Revision ID: c3a9d5e7f214
Revises: b8e4f2a6c913
Create Date: 2026-12-05 21:25:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c3a9d5e7f214'
down_revision = 'b8e4f2a6c913'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_contact', schema=None) as batch_op:
        batch_op.create_index('ix_staff_contact_created_at', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('staff_contact', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_contact_created_at')
