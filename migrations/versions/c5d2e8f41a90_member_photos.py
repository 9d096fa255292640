"""member photos: one small JPEG per member in the database, and when it was set (issue 16)

Revision ID: c5d2e8f41a90
Revises: a3f1c9d27b64
Create Date: 2026-12-05 08:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c5d2e8f41a90'
down_revision = 'a3f1c9d27b64'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'member_photo',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('image', sa.LargeBinary(), nullable=False),
        sa.Column('content_type', sa.String(length=20), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('taken_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], name='fk_member_photo_member_id_member'),
        sa.ForeignKeyConstraint(['taken_by_id'], ['staff.id'], name='fk_member_photo_taken_by_id_staff'),
        sa.PrimaryKeyConstraint('member_id', name='pk_member_photo'),
    )
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('photo_at')
    op.drop_table('member_photo')
