"""GET /api/v1/members/<id> and GET /api/v1/members?q=: a member's card and the desk's search."""
from flask import jsonify
from flask_babel import lazy_gettext as _l

from blueprints.api import contract as params
from blueprints.api import shapes
from blueprints.api.base import bp, current_staff
from clubcrm.clock import local_today
from clubcrm.errors import InvalidInput
from clubcrm.services import api_scope, members, packages
from clubcrm.services.contracts import memberships_of, standing


@bp.get("/members/<id:member_id>")
def get_member(member_id: int):
    """Show a member with where they stand today and their package balances."""
    member = members.get_for(current_staff(), member_id)
    where = standing(member, memberships_of(member.id), local_today(member.club.timezone))
    return jsonify({"member": shapes.member(member), "standing": shapes.standing(where),
                    "balances": shapes.balances(packages.balances(member.id))})


@bp.get("/members")
def search_members():
    """Find members by name prefix, phone or card code, as the desk's search box does."""
    query = params.text("q", 100)
    if query is None:
        raise InvalidInput("q", _l("Send q: a name, a phone number or a card code."))
    club = api_scope.club_for(current_staff(), params.row_id("club_id"))
    found = members.search_with_standing(club, query, local_today(club.timezone)) if query.strip() else []
    return jsonify({"members": [{**shapes.member(m), "state": where.state} for m, where in found]})
