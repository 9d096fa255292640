"""Which member field each column holds, guessed from common headers in en, de, ru, fi, sl and sk."""
import re

from flask_babel import lazy_gettext as _l

from clubcrm.services.members import fold

# The member fields a column can fill; "full_name" is "First Last", "full_name_rev" is "Last First"
# (a Russian ФИО), both split into first and last name.
FIELDS = {
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "full_name": _l("Full name (first last)"),
    "full_name_rev": _l("Full name (last first)"),
    "phone": _l("Phone"),
    "email": _l("Email"),
    "card_code": _l("Card code"),
    "birth_date": _l("Birth date"),
    "locale": _l("Language"),
    "notes": _l("Notes"),
    "interest": _l("Interested in"),
    "sms_consent": _l("SMS consent"),
}
NAME_FIELDS = ("first_name", "full_name", "full_name_rev")

# Headers as people write them, per field; compared folded (no case, no accents) and without punctuation.
HEADERS = {
    "first_name": [
        "first name", "firstname", "given name", "forename", "first",
        "vorname", "rufname",
        "имя",
        "etunimi", "etunimet",
        "ime",
        "meno", "krstné meno", "krstne meno",
    ],
    "last_name": [
        "last name", "lastname", "surname", "family name", "last",
        "nachname", "familienname", "zuname",
        "фамилия",
        "sukunimi",
        "priimek",
        "priezvisko",
    ],
    "full_name": [
        "name", "full name", "member", "member name", "client", "customer", "customer name", "contact",
        "vollständiger name", "kunde", "mitglied", "kundenname",
        "клиент", "полное имя", "имя и фамилия", "участник",
        "nimi", "koko nimi", "asiakas", "jäsen", "jäsenen nimi",
        "ime in priimek", "polno ime", "stranka", "član",
        "meno a priezvisko", "celé meno", "zákazník", "člen",
    ],
    "full_name_rev": [
        "фио", "ф и о", "фамилия имя", "фамилия имя отчество", "фамилия и имя",
        "last name first name", "surname name", "nachname vorname", "sukunimi etunimi", "priimek in ime",
        "priezvisko a meno", "priezvisko meno",
    ],
    "phone": [
        "phone", "phone number", "mobile", "mobile phone", "mobile number", "cell", "cell phone", "tel",
        "telephone", "gsm",
        "telefon", "handy", "mobil", "mobilnummer", "telefonnummer", "rufnummer", "handynummer",
        "телефон", "мобильный", "мобильный телефон", "моб телефон", "сотовый", "тел", "номер телефона",
        "puhelin", "puhelinnumero", "matkapuhelin", "puh",
        "mobitel", "telefonska številka", "tel št",
        "telefón", "mobil", "telefónne číslo", "tel č", "mobilné číslo",
    ],
    "email": [
        "email", "e mail", "mail", "email address", "e mail address",
        "e mail adresse", "emailadresse",
        "эл почта", "электронная почта", "почта", "емейл", "имейл",
        "sähköposti", "sähköpostiosoite", "sposti",
        "e pošta", "elektronska pošta", "e naslov",
        "emailová adresa",
    ],
    "card_code": [
        "card", "card code", "card number", "card no", "member card", "membership card", "barcode", "card id",
        "customer number", "member number", "client number",
        "karte", "kartennummer", "mitgliedsnummer", "karten nr", "mitgliedskarte", "kundennummer", "kunden nr",
        "карта", "номер карты", "карта клиента", "клубная карта", "штрихкод", "номер клиента",
        "kortti", "kortin numero", "korttinumero", "jäsenkortti", "jäsennumero",
        "kartica", "številka kartice", "članska kartica",
        "karta", "číslo karty", "členská karta",
    ],
    "birth_date": [
        "birth date", "date of birth", "birthday", "dob", "born", "birthdate",
        "geburtsdatum", "geburtstag", "geboren",
        "дата рождения", "день рождения", "др",
        "syntymäaika", "syntymäpäivä", "syntynyt",
        "datum rojstva", "rojstni dan", "rojen",
        "dátum narodenia", "narodenie", "narodený",
    ],
    "locale": [
        "language", "lang", "locale",
        "sprache",
        "язык",
        "kieli",
        "jezik",
        "jazyk",
    ],
    "notes": [
        "notes", "note", "comment", "comments", "remarks",
        "notiz", "notizen", "bemerkung", "bemerkungen", "kommentar",
        "заметки", "заметка", "примечание", "примечания", "комментарий",
        "muistiinpanot", "huomautus", "huomautukset", "lisätiedot", "kommentti",
        "opombe", "opomba", "komentar",
        "poznámka", "poznámky", "komentár",
    ],
    "interest": [
        "interest", "interests", "interested in",
        "interesse", "interessiert an",
        "интерес", "интересы", "интересуется",
        "kiinnostus", "kiinnostunut",
        "zanimanje", "interes",
        "záujem",
    ],
    "sms_consent": [
        "sms consent", "sms", "consent", "sms ok", "marketing consent", "sms opt in", "sms allowed",
        "sms einwilligung", "einwilligung", "sms zustimmung", "zustimmung",
        "согласие на смс", "смс", "согласие", "согласие на sms",
        "tekstiviestilupa", "sms lupa", "lupa", "markkinointilupa",
        "soglasje za sms", "soglasje",
        "súhlas so sms", "súhlas",
    ],
}


def header_key(text: str) -> str:
    """Fold a header: no case, no accents, punctuation as spaces ("E-Mail:" → "e mail")."""
    return " ".join(re.sub(r"[\W_]+", " ", fold(text)).split())


def header_index(headers: dict[str, list[str]]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The folded headers of HEADERS (field → names) to look up exactly, and those long enough to find inside
    a longer header, longest first ("phone number" before "phone" in "mobile phone number (home)")."""
    exact = {header_key(h): field for field, names in headers.items() for h in names}
    contained = sorted(((key, field) for key, field in exact.items() if len(key) >= 4), key=lambda kv: -len(kv[0]))
    return exact, contained


_INDEX = header_index(HEADERS)


def guess_field(header: str, index: tuple[dict, list] | None = None) -> str | None:
    """The field HEADER most likely names (a member field, or INDEX's), or None."""
    exact, contained = index or _INDEX
    key = header_key(header)
    if not key:
        return None
    if key in exact:
        return exact[key]
    padded = f" {key} "
    for known, field in contained:
        if f" {known} " in padded:
            return field
    return None


def guess_mapping(headers: list[str], index: tuple[dict, list] | None = None) -> list[str | None]:
    """The field of each column (None: left out); each field is taken by the first column naming it."""
    fields: list[str | None] = []
    taken: set[str] = set()
    for header in headers:
        field = guess_field(header, index)
        if field in taken:
            field = None
        if field is not None:
            taken.add(field)
        fields.append(field)
    # German "Name" beside "Vorname" (and "Meno" beside a full name...) is the family name.
    if "first_name" in taken and "last_name" not in taken and "full_name" in taken:
        fields = ["last_name" if f == "full_name" else f for f in fields]
    return fields


def has_name(fields: list[str | None]) -> bool:
    """Tell whether a mapping gives every row a first name."""
    return any(f in NAME_FIELDS for f in fields)
