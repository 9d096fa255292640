"""A rule's text for one member: in their language (the club's when theirs has none), placeholders filled
with the facts that fired it. The SMS outbox sends it; a staff task shows it as what to say.

{link} is the member's own page: an SMS queued where the club's texts carry links gets the link with its token
masked (the dispatcher puts a real token in when it sends); elsewhere (a call script, the member page off, no
PUBLIC_URL) the sentence ending with the link is left out."""
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from clubcrm.i18n import locale_or
from clubcrm.formatting import without_year_word
from clubcrm.models import Club, ClubSession, Rule
from clubcrm.services import member_links


@dataclass(frozen=True)
class Rendered:
    text: str
    locale: str   # the language the text is in: the member's, or the club's when the rule has none in theirs


def text_for(rule: Rule, first_name: str, locale: str | None, club: Club, facts: dict,
             session: ClubSession | None = None, link: bool = False) -> Rendered | None:
    """Render RULE's text for a member; None when the rule has no text in their language or the club's. LINK: the
    text goes out as an SMS, whose {link} is the masked member link if the club's texts carry links."""
    texts = rule.texts or {}
    locale = locale_or(locale, club.default_locale)
    if not texts.get(locale):
        locale = club.default_locale
    text = texts.get(locale)
    if not text:
        return None
    with_link = link and member_links.links_on(club)
    if not with_link:
        text = member_links.without_link_sentence(text)
    values = {
        "first_name": first_name, "club": club.name,
        "end_date": _day(facts.get("ends_on"), locale), "expires_on": _day(facts.get("expires_on"), locale),
        "days": facts.get("days_silent", ""), "visits": facts.get("visits_cycle", ""),
        "service": facts.get("service", ""), "balance": facts.get("balance", ""),
        "session": session.title if session else "",
        "when": session_when(session, club, locale) if session else "",
        "link": member_links.masked_link() if with_link else "",
    }
    try:
        return Rendered(text.format(**values), locale)
    except (KeyError, IndexError, ValueError):   # settings refuse such texts; an old one is shown as written
        return Rendered(text, locale)


# CLDR's no-break spaces ("6:00\u202fPM") are not in the GSM-7 alphabet: one would make a whole SMS UCS-2.
_PLAIN_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " "})


def _day(iso: str | None, locale: str) -> str:
    if not iso:
        return ""
    return without_year_word(format_date(date.fromisoformat(iso), "medium", locale=locale), locale).translate(
        _PLAIN_SPACES)


def session_when(session, club: Club, locale: str) -> str:
    """When SESSION starts, short, in the club's time zone and LOCALE ("12.3.2026 18.00"), with plain spaces."""
    return format_datetime(session.starts_at, "short", tzinfo=ZoneInfo(club.timezone), locale=locale).translate(
        _PLAIN_SPACES)
