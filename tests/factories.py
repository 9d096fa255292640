"""Factories for tests: each creates one thing through the real services and commits."""
import itertools
from datetime import date

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from sqlalchemy import update

from clubcrm.lifecycle import engine
from clubcrm.lifecycle.tools import LEAD_TOOLS
from clubcrm.models import Club, Plan, Service, Tool
from clubcrm.services import auth, members, sales

_seq = itertools.count(1)


class Factory:
    def __init__(self, app) -> None:
        self.app = app
        self._club: Club | None = None
        self._desk = None

    @property
    def default_club(self) -> Club:
        if self._club is None:
            self._club = self.club(name="Test Club")
        return self._club

    def desk(self):
        """A desk login of the default club that factories sell through."""
        if self._desk is None:
            self._desk = self.staff("desk")
        return self._desk

    def club(self, **values) -> Club:
        with unit_of_work():
            # No programme holdout unless a test asks for one: a member it draws gets no engine contact, and
            # a test's plan should not depend on that hash.
            club = Club(**{"name": f"Club {next(_seq)}", "timezone": "Europe/Helsinki",
                           "currency": "EUR", "country": "FI", "default_locale": "en", "programme_holdout_pct": 0,
                           **values})
            db.session.add(club)
            db.session.flush()
            # The lead tools plan a call and an SMS the moment a lead comes, and every factory member is a lead
            # first: they are off unless a test turns them on (lead_tools), so that the other tests' plans,
            # counts and outboxes stay those of the members' tools.
            engine.club_rules(club)
            db.session.execute(update(Tool).where(Tool.club_id == club.id, Tool.key.in_(LEAD_TOOLS))
                               .values(enabled=False))
        return club

    def lead_tools(self, club: Club | None = None, holdout_pct: int = 0) -> None:
        """Turn the lead tools of CLUB (the default club) on, holding HOLDOUT_PCT percent of leads out of each."""
        club = club or self.default_club
        with unit_of_work():
            db.session.execute(update(Tool).where(Tool.club_id == club.id, Tool.key.in_(LEAD_TOOLS))
                               .values(enabled=True, holdout_pct=holdout_pct))

    def staff(self, role: str = "desk", club: Club | None = None, password: str = "secret-pass", **kw):
        club_id = None if role == "owner" and club is None else (club or self.default_club).id
        with unit_of_work():
            staff = auth.create_staff(f"{role}{next(_seq)}@example.com", role, password, club_id, **kw)
        return staff

    def member(self, club: Club | None = None, **values):
        n = next(_seq)
        data = {"first_name": "Member", "last_name": f"Number{n}",
                "phone": f"+35840{2000000 + n:07d}", "card_code": f"T{n:05d}", **values}
        with unit_of_work():
            member = members.create_lead(None, club or self.default_club, data)
        return member

    def plan(self, club: Club | None = None, **values) -> Plan:
        club = club or self.default_club
        with unit_of_work():
            plan = Plan(**{"club_id": club.id, "name": f"Plan {next(_seq)}", "duration_days": 30,
                           "price_minor": 5900, "currency": club.currency, **values})
            db.session.add(plan)
        return plan

    def service(self, club: Club | None = None, **values) -> Service:
        club = club or self.default_club
        with unit_of_work():
            service = Service(**{"club_id": club.id, "name": f"Service {next(_seq)}", "package_units": 10,
                                 "price_minor": 45000, "currency": club.currency, "valid_days": 180,
                                 **values})
            db.session.add(service)
        return service

    def membership(self, member, plan: Plan | None = None, today: date | None = None,
                   starts_on: date | None = None, staff=None):
        from tests.conftest import TODAY

        plan = plan or self.plan(club=member.club)
        staff = staff or (self.desk() if member.club_id == self.default_club.id else
                          self.staff("desk", club=member.club))
        with unit_of_work():
            membership = sales.sell_membership(staff, member, plan.id, today or TODAY, starts_on=starts_on)
        return membership
