"""What the club answers to a member's SMS, and the consent confirmation it sends them, per language (plain dicts,
not gettext: members read these, not staff).

Placeholders are filled with str.format: {club}, {phone}, {session}, {when}, {hours}. A YES word a text asks for
must be one clubcrm.sms.inbound.YES_WORDS reads."""


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

# Sent when SMS consent was ticked on the website form for a known member's phone: only the phone's owner can agree.
CONFIRM_CONSENT = {
    "en": "{club}: your number was given on our website to get SMS from us. Reply YES within {hours} hours to agree. "
          "No reply, no texts.",
    "de": "{club}: Deine Nummer wurde auf unserer Website für SMS von uns angegeben. Antworte innerhalb von {hours} "
          "Stunden mit JA, um zuzustimmen. Ohne Antwort schreiben wir dir nicht.",
    "ru": "{club}: Ваш номер указали на нашем сайте, чтобы получать от нас SMS. Ответьте ДА в течение {hours} часов, "
          "если согласны. Без ответа мы не будем Вам писать.",
    "fi": "{club}: numerosi annettiin verkkosivuillamme tekstiviestejä varten. Vastaa KYLLÄ {hours} tunnin kuluessa, "
          "jos haluat viestejä. Ilman vastausta emme lähetä niitä.",
    "sl": "{club}: vaša številka je bila vpisana na naši spletni strani za prejemanje SMS. Če se strinjate, v {hours} "
          "urah odgovorite DA. Brez odgovora vam ne bomo pisali.",
    "sk": "{club}: Vaše číslo bolo zadané na našej webovej stránke na zasielanie SMS. Ak súhlasíte, odpovedzte ÁNO do "
          "{hours} hodín. Bez odpovede Vám nebudeme písať.",
}
# YES to that confirmation, in time: consent is recorded.
CONSENT_CONFIRMED = {
    "en": "Thank you: {club} will now send you SMS. Reply STOP at any time to opt out.",
    "de": "Danke: {club} schickt dir ab jetzt SMS. Antworte jederzeit STOP zum Abmelden.",
    "ru": "Спасибо: теперь {club} будет присылать Вам SMS. Ответьте STOP, чтобы отписаться в любой момент.",
    "fi": "Kiitos: {club} lähettää sinulle nyt tekstiviestejä. Vastaa STOP milloin tahansa, niin viestit loppuvat.",
    "sl": "Hvala: {club} vam bo odslej pošiljal SMS. Za odjavo kadar koli odgovorite STOP.",
    "sk": "Ďakujeme: {club} Vám bude odteraz posielať SMS. Pre odhlásenie kedykoľvek odpovedzte STOP.",
}


def reply(table: dict[str, str], locale: str | None, fallback: str | None = None, **values) -> str:
    """TABLE's text in LOCALE (else FALLBACK, else English) with VALUES filled in."""
    text = table.get(locale or "") or table.get(fallback or "") or table["en"]
    return text.format(**values)
