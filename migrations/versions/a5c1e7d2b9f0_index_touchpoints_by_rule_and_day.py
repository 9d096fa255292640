"""index touchpoints by rule and day (the reports' replies per tool)

Revision ID: a5c1e7d2b9f0
Revises: df6c338a034b
Create Date: 2026-11-23 20:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a5c1e7d2b9f0'
down_revision = 'df6c338a034b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('touchpoint', schema=None) as batch_op:
        batch_op.create_index('ix_touchpoint_rule_id_due_on', ['rule_id', 'due_on'], unique=False)


def downgrade():
    with op.batch_alter_table('touchpoint', schema=None) as batch_op:
        batch_op.drop_index('ix_touchpoint_rule_id_due_on')
