"""What the club answers to a member's SMS, per language (plain dicts, not gettext: members read these, not staff).

Placeholders are filled with str.format: {club}, {phone}, {session}, {when}."""


# HELP: who is writing and how to reach a person.
HELP = {
    "en": "{club}: questions? Call us at {phone}. Reply STOP to opt out.",
    "de": "{club}: Fragen? Ruf uns an: {phone}. Antworte STOP zum Abmelden.",
    "ru": "{club}: есть вопросы? Позвоните нам: {phone}. Ответьте STOP для отписки.",
    "fi": "{club}: kysyttävää? Soita meille: {phone}. Vastaa STOP, niin viestit loppuvat.",
    "sl": "{club}: vprašanja? Pokličite nas: {phone}. Za odjavo odgovorite STOP.",
    "sk": "{club}: otázky? Zavolajte nám: {phone}. Pre odhlásenie odpovedzte STOP.",
}
# HELP when the club has no phone number on file.
HELP_NO_PHONE = {
    "en": "{club}: questions? Ask us at the front desk. Reply STOP to opt out.",
    "de": "{club}: Fragen? Frag uns am Empfang. Antworte STOP zum Abmelden.",
    "ru": "{club}: есть вопросы? Спросите нас на ресепшене. Ответьте STOP для отписки.",
    "fi": "{club}: kysyttävää? Kysy meiltä vastaanotosta. Vastaa STOP, niin viestit loppuvat.",
    "sl": "{club}: vprašanja? Vprašajte nas na recepciji. Za odjavo odgovorite STOP.",
    "sk": "{club}: otázky? Opýtajte sa nás na recepcii. Pre odhlásenie odpovedzte STOP.",
}
# YES: booked into the offered session.
BOOKED = {
    "en": "You're booked: {session}, {when}. See you at {club}!",
    "de": "Du bist angemeldet: {session}, {when}. Bis bald im {club}!",
    "ru": "Вы записаны: {session}, {when}. Ждём вас в {club}!",
    "fi": "Varaus tehty: {session}, {when}. Nähdään {club}!",
    "sl": "Prijavljeni ste: {session}, {when}. Se vidimo v {club}!",
    "sk": "Ste prihlásený: {session}, {when}. Vidíme sa v {club}!",
}
# YES: the session was full, so the member is on its waitlist.
WAITLISTED = {
    "en": "{session}, {when} is full: you're on the waitlist and we'll let you know if a place frees up.",
    "de": "{session}, {when} ist voll: Du stehst auf der Warteliste, wir melden uns, wenn ein Platz frei wird.",
    "ru": "{session}, {when}: мест нет, вы в листе ожидания. Сообщим, если место освободится.",
    "fi": "{session}, {when} on täynnä: olet jonossa, ja kerromme, jos paikka vapautuu.",
    "sl": "{session}, {when} je polno: ste na čakalnem seznamu, javimo se, če se sprosti mesto.",
    "sk": "{session}, {when} je plné: ste v poradovníku, ozveme sa, ak sa uvoľní miesto.",
}
# YES: already booked (a repeated YES).
ALREADY = {
    "en": "You're already on the list for {session}, {when}.",
    "de": "Du bist schon für {session}, {when} eingetragen.",
    "ru": "Вы уже записаны: {session}, {when}.",
    "fi": "Olet jo ilmoittautunut: {session}, {when}.",
    "sl": "Že ste prijavljeni: {session}, {when}.",
    "sk": "Už ste prihlásený: {session}, {when}.",
}
# YES: nothing to book (no open invitation, the session started or was cancelled, booking refused).
NO_PLACES = {
    "en": "Sorry, we couldn't book that session. Please call {club} or ask at the front desk.",
    "de": "Leider konnten wir diesen Termin nicht buchen. Bitte ruf {club} an oder frag am Empfang.",
    "ru": "К сожалению, записать вас не получилось. Позвоните в {club} или спросите на ресепшене.",
    "fi": "Valitettavasti varaus ei onnistunut. Soita {club} tai kysy vastaanotosta.",
    "sl": "Žal vas nismo mogli prijaviti. Pokličite {club} ali vprašajte na recepciji.",
    "sk": "Prepáčte, prihlásenie sa nepodarilo. Zavolajte do {club} alebo sa opýtajte na recepcii.",
}


def reply(table: dict[str, str], locale: str | None, fallback: str | None = None, **values) -> str:
    """TABLE's text in LOCALE (else FALLBACK, else English) with VALUES filled in."""
    text = table.get(locale or "") or table.get(fallback or "") or table["en"]
    return text.format(**values)
