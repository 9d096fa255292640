"""chain-wide plans and memberships; card codes unique across the chain (issue 13)

A plan (and the membership sold from it) may be valid in every club of the chain. A card then opens every
club's desk, so a card code must name one member in the whole chain: the per-club unique constraint becomes a
global one. Two members of different clubs may hold the same code today; the upgrade looks for them first and,
if it finds any, stops before changing anything and names them, so they can be given new codes first.

Revision ID: 8fc6527b28fc
Revises: c7a1e4d93b52
Create Date: 2026-12-04 11:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8fc6527b28fc'
down_revision = 'c7a1e4d93b52'
branch_labels = None
depends_on = None


class DuplicateCardCodes(RuntimeError):
    """Card codes held by members of several clubs: fix them, then upgrade again."""


def duplicate_card_codes(connection) -> list[str]:
    """Describe each card code held by more than one member: the code, then each holder's id and club."""
    rows = connection.execute(sa.text(
        "SELECT m.card_code, m.id, c.id, c.name FROM member m JOIN club c ON c.id = m.club_id "
        "WHERE m.card_code IN (SELECT card_code FROM member WHERE card_code IS NOT NULL "
        "GROUP BY card_code HAVING COUNT(*) > 1) ORDER BY m.card_code, m.id"
    )).all()
    holders: dict[str, list[str]] = {}
    for code, member_id, club_id, club_name in rows:
        holders.setdefault(code, []).append(f"member {member_id} of club {club_id} ({club_name})")
    return [f"card code {code!r}: " + ", ".join(who) for code, who in holders.items()]


def upgrade():
    # Looked for before any change: on SQLite the schema changes below are not rolled back by a failure.
    duplicates = duplicate_card_codes(op.get_bind())
    if duplicates:
        raise DuplicateCardCodes(
            "Card codes must be unique across the clubs of the chain, but these are held by several members:\n  "
            + "\n  ".join(duplicates)
            + "\nGive each of these members a card code of their own (or clear it), then run the upgrade again. "
            "Nothing was changed.")
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_wide', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_wide', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_constraint('uq_member_club_id_card_code', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_member_card_code'), ['card_code'])
        batch_op.create_index(batch_op.f('ix_member_phone'), ['phone'], unique=False)


def downgrade():
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_phone'))
        batch_op.drop_constraint(batch_op.f('uq_member_card_code'), type_='unique')
        batch_op.create_unique_constraint('uq_member_club_id_card_code', ['club_id', 'card_code'])
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('chain_wide')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('chain_wide')
