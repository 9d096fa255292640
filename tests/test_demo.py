"""The demo club: a living club for a new user, loaded once."""
from sqlalchemy import func, select

from clubcrm.extensions import db
from clubcrm.models import LedgerEntry, Member, Membership, Package, Visit


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_loads_a_living_club_and_only_once(runner, ctx):
    result = runner.invoke(args=["demo", "--if-empty", "--members", "60"])
    assert result.exit_code == 0, result.output
    assert "desk@demo.club" in result.output and "manager@demo.club" in result.output
    assert count(Member) == 60
    assert 0 < count(Member, Member.converted_at.is_(None)) < 60  # some leads
    assert count(Membership, Membership.renews_id.is_not(None)) > 0  # some renewals
    assert count(Visit) > 200
    assert count(LedgerEntry) > 0
    packages = db.session.scalars(select(Package)).all()
    for package in packages:  # balances are the ledger's sum
        total = db.session.scalar(select(func.sum(LedgerEntry.units)).where(LedgerEntry.package_id == package.id))
        assert package.balance == total >= 0
    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0 and "already holds a club" in again.output
    assert count(Member) == 60


def test_demo_desk_login_works(client, runner, ctx):
    runner.invoke(args=["demo", "--members", "20"])
    response = client.post("/login", data={"email": "desk@demo.club", "password": "demo-password"})
    assert response.status_code == 302
    assert client.get("/?q=C100001").status_code == 200
