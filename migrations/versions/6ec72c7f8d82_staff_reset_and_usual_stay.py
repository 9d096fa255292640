"""a login's "must change the password" flag (set by a manager's reset) and the club's usual stay (issue 16)

Revision ID: 6ec72c7f8d82
Revises: 219e6cc491ce
Create Date: 2026-12-05 04:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '6ec72c7f8d82'
down_revision = '219e6cc491ce'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('club', schema=None) as batch_op:
        batch_op.add_column(sa.Column('usual_stay_minutes', sa.Integer(), server_default='90', nullable=False))


def downgrade():
    with op.batch_alter_table('club', schema=None) as batch_op:
        batch_op.drop_column('usual_stay_minutes')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
