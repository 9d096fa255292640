"""POST /api/v1/checkins: a turnstile or another desk checks a member in, by card code or member id."""
from flask import jsonify
from flask_babel import lazy_gettext as _l

from blueprints.api import body, contract, shapes
from blueprints.api.base import bp, current_staff
from clubcrm import api_schema
from clubcrm.clock import local_today
from clubcrm.db import unit_of_work
from clubcrm.errors import InvalidInput, NotFound
from clubcrm.services import api_scope, chain, checkin, packages
from clubcrm.services.contracts import memberships_of, standing


@bp.post("/checkins")
def create_checkin():
    """Check a member in; a repeat within the desk's window answers the first visit again (200)."""
    data = body.json_object()
    card = contract.matching("card_code", body.text(data, "card_code", 64), api_schema.PLAIN,
                          _l("Text cannot contain control characters.")) or ""
    card = card.strip()
    member_id = contract.body_id(data, "member_id")
    club_id = contract.body_id(data, "club_id")
    if card and member_id is not None:
        raise InvalidInput("card_code", _l("Send card_code or member_id, not both."))
    if not card and member_id is None:
        raise InvalidInput("card_code", _l("Send card_code or member_id."))
    staff = current_staff()
    with unit_of_work():
        # The club where the turnstile or desk stands: the token's club (an owner's: club_id, or by member id
        # the member's own club). Another club's member gets in there with a chain plan only.
        club = api_scope.club_for(staff, club_id) if card or club_id is not None or staff.club_id else None
        if card:
            member = checkin.member_for_card(club, card)
            if member is None:
                raise NotFound("card_code", _l("No member has this card."))
        else:
            member = chain.member_for_checkin(staff, club, member_id)
        result = checkin.check_in(staff, member, source="api", club=club)
        where = standing(member, memberships_of(member.id), local_today(member.club.timezone))
        guest = club is not None and member.club_id != club.id
        answer = {
            "visit": shapes.visit(result.visit), "repeated": result.repeated,
            "member": shapes.guest(member) if guest else shapes.member(member),
            "membership": shapes.membership(where.membership),
            "balances": [] if guest else shapes.balances(packages.balances(member.id)),
        }
    return jsonify(answer), 200 if result.repeated else 201
