"""Lead cycles as staff and websites meet them: the desk's new-lead form with its source, the API's leads with
theirs, a lost lead asking again, the card's lead panel with its stage and "lost" form, the club's lost reasons."""
import re

from sqlalchemy import func, select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import LeadCycle, LeadLostReason, Member
from clubcrm.services import api_tokens, lead_cycles
from tests.conftest import NOW
from tests.web import field_errors, flashes
from datetime import timedelta


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def cycles_of(member_id: int) -> list[LeadCycle]:
    return list(db.session.scalars(select(LeadCycle).where(LeadCycle.member_id == member_id)
                                   .order_by(LeadCycle.id).execution_options(populate_existing=True)))


def lead(**values) -> dict:
    return {"first_name": "Nina", "last_name": "New", "locale": "en", **values}


def test_the_desk_form_registers_a_lead_with_its_source(web, login_as, make):
    login_as("desk")
    friend = make.member(first_name="Frida", card_code="FRIDA-1")
    page = web.get("/members/new").text
    assert 'name="source"' in page and 'name="referrer"' in page and 'name="campaign"' in page
    assert re.search(r'<option selected value="walk_in">|<option value="walk_in" selected', page)
    response = web.post("/members/new", lead(source="referral", referrer="frida-1"))
    assert response.status_code == 302, field_errors(response)
    member = db.session.scalar(select(Member).where(Member.first_name == "Nina"))
    [cycle] = cycles_of(member.id)
    assert (member.source, cycle.source, cycle.referrer_member_id) == ("referral", "referral", friend.id)
    panel = web.get(f"/members/{member.id}/lead?partial=1").text
    assert f'<a href="/members/{friend.id}" class="referrer">referred by Frida Number' in panel


def test_the_desk_form_names_a_bad_referrer_or_a_missing_campaign_and_writes_nothing(web, login_as, make):
    login_as("desk")
    make.member(club=make.club(), card_code="ELSEWHERE-1")
    before = (count(Member), count(LeadCycle))
    refused = web.post("/members/new", lead(source="referral", referrer="ELSEWHERE-1"))
    assert refused.status_code == 422
    assert field_errors(refused) == {"referrer": ["No member has this card code, phone or id."]}
    both = web.post("/members/new", lead(first_name="", source="campaign"))
    assert both.status_code == 422 and set(field_errors(both)) == {"first_name", "campaign"}
    assert (count(Member), count(LeadCycle)) == before


def test_a_lost_lead_asking_again_at_the_desk_gets_a_new_cycle(web, login_as, make):
    desk = login_as("desk")
    known = make.member(first_name="Lena", phone="040 700 0007")
    with unit_of_work():
        lead_cycles.mark_lost(desk, known, "price")
    clock.set_now(NOW + timedelta(days=20))
    offered = web.post("/members/new", lead(first_name="Lena", phone="0407000007", source="phone"))
    assert offered.status_code == 409 and f'name="use_member" value="{known.id}"' in offered.text
    assert [c.outcome for c in cycles_of(known.id)] == ["lost"]
    response = web.post("/members/new", lead(first_name="Lena", phone="0407000007", source="phone",
                                             use_member=str(known.id)), follow_redirects=True)
    assert response.status_code == 200
    assert "Lena Number" in flashes(response)[0] and "new lead cycle" in flashes(response)[0]
    assert [c.outcome for c in cycles_of(known.id)] == ["lost", None]
    assert cycles_of(known.id)[1].source == "phone"


def test_the_card_shows_the_lead_stage_and_marks_the_lead_lost(web, login_as, make):
    login_as("desk")
    member = make.member()
    card = web.get(f"/members/{member.id}").text
    assert f"/members/{member.id}/lead?partial=1" in card
    panel = web.get(f"/members/{member.id}/lead?partial=1")
    assert panel.status_code == 200
    assert 'id="lead-stage">new<' in panel.text and "walk-in" in panel.text and 'id="lost-form"' in panel.text
    assert '<option value="other_club">chose another club</option>' in panel.text
    refused = web.post(f"/members/{member.id}/lost", {"reason": "cheaper"})
    assert refused.status_code == 422 and "reason" in field_errors(refused)
    assert cycles_of(member.id)[0].ended_at is None
    done = web.post(f"/members/{member.id}/lost", {"reason": "distance"}, follow_redirects=True)
    assert done.status_code == 200 and any("lost lead" in text for text in flashes(done))
    [cycle] = cycles_of(member.id)
    assert (cycle.outcome, cycle.lost_reason) == ("lost", "distance")
    panel = web.get(f"/members/{member.id}/lead?partial=1").text
    assert ">lost<" in panel and "distance" in panel and 'id="lost-form"' not in panel


def test_a_converted_members_card_has_no_lead_panel(web, login_as, make):
    login_as("desk")
    member = make.member()
    make.membership(member)
    assert "/lead?partial=1" not in web.get(f"/members/{member.id}").text


def test_a_manager_adds_and_switches_off_a_lost_reason_on_the_settings_page(web, login_as, make):
    login_as("manager")
    page = web.get("/settings/").text
    assert 'id="lost-reason-list"' in page and "chose another club" in page
    assert web.post("/settings/lost-reasons", {"label": ""}).status_code == 422
    assert web.post("/settings/lost-reasons", {"label": "Moved away"}).status_code == 302
    own = db.session.scalar(select(LeadLostReason).where(LeadLostReason.label == "Moved away"))
    assert own.active
    assert web.post(f"/settings/lost-reasons/{own.id}/active/0").status_code == 302
    db.session.refresh(own)
    assert not own.active
    assert "Moved away" in web.get("/settings/").text
    other = make.club()
    with unit_of_work():
        foreign = lead_cycles.lost_reasons(other.id)[0]
    assert web.post(f"/settings/lost-reasons/{foreign.id}/active/0").status_code == 404
    db.session.refresh(foreign)
    assert foreign.active


def api_token(make) -> str:
    with unit_of_work():
        return api_tokens.issue(make.staff("desk"), "web form")


def post(web, token: str, body: dict):
    return web.open("POST", "/api/v1/leads", json=body, headers={"Authorization": f"Bearer {token}"})


def test_an_api_lead_opens_a_cycle_with_its_source_campaign_and_referrer(web, make):
    token = api_token(make)
    friend = make.member(first_name="Friend")
    plain = post(web, token, {"name": "Web Lead", "phone": "040 800 0001"})
    tagged = post(web, token, {"name": "Ad Lead", "source": "campaign", "campaign": "spring-utm",
                               "phone": "040 800 0002", "consent": True})
    referred = post(web, token, {"name": "Ref Lead", "source": "referral", "referrer_member_id": friend.id})
    assert [r.status_code for r in (plain, tagged, referred)] == [201, 201, 201], tagged.json
    got = [(c.source, c.campaign, c.referrer_member_id) for r in (plain, tagged, referred)
           for c in cycles_of(r.json["member"]["id"])]
    assert got == [("web_form", None, None), ("campaign", "spring-utm", None), ("referral", None, friend.id)]
    assert tagged.json["member"]["source"] == "campaign"
    # The consent was ticked on the web form, whatever brought the lead there.
    assert db.session.get(Member, tagged.json["member"]["id"]).sms_consent_source == "web_form"


def test_the_api_refuses_a_bad_source_naming_the_field_and_writes_nothing(web, make):
    token = api_token(make)
    stranger = make.member(club=make.club())
    friend = make.member()
    before = (count(Member), count(LeadCycle))
    for body, status, field in [
        ({"source": "fax"}, 422, "source"),
        ({"source": "campaign"}, 422, "campaign"),
        ({"source": "campaign", "campaign": " "}, 422, "campaign"),
        ({"source": "campaign", "campaign": "x" * 81}, 422, "campaign"),
        ({"campaign": "a\x01b"}, 422, "campaign"),
        ({"source": "referral"}, 422, "referrer_member_id"),
        ({"referrer_member_id": friend.id}, 422, "referrer_member_id"),
        ({"source": "referral", "referrer_member_id": "7"}, 422, "referrer_member_id"),
        ({"source": "referral", "referrer_member_id": stranger.id}, 404, "referrer_member_id"),
        ({"source": "referral", "referrer_member_id": 2**31 - 1}, 404, "referrer_member_id"),
    ]:
        answer = post(web, token, {"name": "Bad Source", **body})
        assert answer.status_code == status, (body, answer.json)
        assert answer.json["error"]["field"] == field, (body, answer.json)
    assert (count(Member), count(LeadCycle)) == before


def test_the_api_says_when_a_lost_lead_asking_again_gets_a_new_cycle(web, make):
    token = api_token(make)
    desk = make.desk()
    lost = make.member(email="lost@example.com")
    open_lead = make.member(email="open@example.com")
    bought = make.member(email="bought@example.com")
    make.membership(bought)
    with unit_of_work():
        lead_cycles.mark_lost(desk, lost, "no_answer")
    again = post(web, token, {"name": "Lost Again", "email": "LOST@example.com", "source": "campaign",
                              "campaign": "win-back"})
    assert again.status_code == 200
    assert again.json == {"member_id": lost.id, "duplicate": True, "new_cycle": True}
    assert [(c.outcome, c.source, c.campaign) for c in cycles_of(lost.id)] == [
        ("lost", "walk_in", None), (None, "campaign", "win-back")]
    for member in (open_lead, bought):
        answer = post(web, token, {"name": "Known", "email": member.email})
        assert answer.json == {"member_id": member.id, "duplicate": True, "new_cycle": False}
        assert len(cycles_of(member.id)) == 1
    # Asked again while the new cycle is open: nothing more.
    assert post(web, token, {"name": "Lost Again", "email": "lost@example.com"}).json["new_cycle"] is False
    assert len(cycles_of(lost.id)) == 2


def test_the_document_describes_the_lead_source_and_the_new_cycle(web, make):
    document = web.get("/api/v1/openapi.json").json
    lead_input = document["components"]["schemas"]["LeadInput"]
    assert {"source", "campaign", "referrer_member_id"} <= set(lead_input["properties"])
    assert lead_input["properties"]["source"]["anyOf"][0]["enum"] == [
        "walk_in", "phone", "web_form", "referral", "campaign", "import", "other"]
    assert "new_cycle" in document["components"]["schemas"]["LeadDuplicate"]["required"]
