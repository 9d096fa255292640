"""The columns of the files a club brings from another system besides its members: memberships, package balances
and visits, each row naming its member as the members file did (card code, phone or email)."""
from flask_babel import lazy_gettext as _l

from clubcrm.imports.headers import HEADERS as MEMBER_HEADERS
from clubcrm.imports.headers import header_index

# Who a row is about: any of these columns finds the member (the first one filled in that matches).
WHO_FIELDS = {
    "card_code": _l("Card code"),
    "phone": _l("Phone"),
    "email": _l("Email"),
}
WHO_HEADERS = {key: MEMBER_HEADERS[key] for key in WHO_FIELDS}

MEMBERSHIP_FIELDS = {
    **WHO_FIELDS,
    "plan": _l("Plan"),
    "starts_on": _l("Start"),
    "ends_on": _l("End"),
    "price": _l("Price"),
    "frozen_until": _l("Frozen until"),
}
BALANCE_FIELDS = {
    **WHO_FIELDS,
    "service": _l("Service"),
    "units": _l("Units left"),
    "expires_on": _l("Expires"),
}
VISIT_FIELDS = {
    **WHO_FIELDS,
    "visited_at": _l("Visit time"),
}

# Headers as other systems and people write them (en, de, ru, fi, sl, sk); compared folded, as the members'.
_PLAN = ["plan", "membership", "membership type", "tariff", "contract", "product", "subscription",
         "tarif", "mitgliedschaft", "vertrag", "abo", "abonnement", "produkt",
         "абонемент", "тариф", "вид абонемента", "тип абонемента", "договор",
         "jäsenyys", "sopimus", "tuote", "jäsenyystyyppi",
         "naročnina", "članarina", "vozovnica", "paket članstva",
         "permanentka", "členstvo", "predplatné", "tarifa"]
_START = ["start", "start date", "starts", "starts on", "from", "valid from", "begin",
          "beginn", "startdatum", "gültig ab", "von", "vertragsbeginn",
          "начало", "дата начала", "действует с", "с", "начало действия",
          "alkaa", "alkupäivä", "alku", "voimassa alkaen",
          "začetek", "velja od", "od", "datum začetka",
          "začiatok", "platné od", "dátum začiatku"]
_END = ["end", "end date", "ends", "ends on", "to", "until", "valid until", "valid to",
        "ende", "enddatum", "gültig bis", "bis", "vertragsende", "laufzeit bis",
        "окончание", "дата окончания", "действует до", "по", "до", "конец", "окончание действия",
        "päättyy", "loppupäivä", "loppu", "voimassa asti",
        "konec", "velja do", "do", "datum konca",
        "koniec", "platné do", "dátum konca"]
_PRICE = ["price", "amount", "paid", "sum", "total",
          "preis", "betrag", "summe", "bezahlt",
          "цена", "стоимость", "сумма", "оплачено",
          "hinta", "summa", "maksettu",
          "cena", "znesek", "plačano",
          "suma", "zaplatené"]
_FROZEN = ["frozen until", "freeze until", "frozen", "paused until", "on hold until",
           "eingefroren bis", "pausiert bis", "ruht bis", "pause bis",
           "заморожен до", "заморозка до", "заморозка", "заморожен",
           "jäädytetty", "jäädytetty asti", "tauko asti",
           "zamrznjeno do", "zamrznitev do",
           "zmrazené do", "pozastavené do"]
_SERVICE = ["service", "package", "service name", "leistung", "paket", "dienstleistung",
            "услуга", "пакет", "пакет услуг",
            "palvelu", "paketti",
            "storitev", "paket storitev",
            "služba", "balík", "balíček"]
_UNITS = ["units", "units left", "balance", "remaining", "sessions left", "left", "rest",
          "einheiten", "guthaben", "verbleibend", "resteinheiten",
          "остаток", "осталось", "баланс", "осталось занятий",
          "jäljellä", "saldo", "kertoja jäljellä",
          "preostanek", "preostalo", "enote",
          "zostatok", "zostáva", "jednotky"]
_EXPIRES = ["expires", "expiry", "expiry date", "expires on", "valid until",
            "gültig bis", "ablauf", "ablaufdatum", "verfällt",
            "действует до", "срок действия", "годен до", "сгорает",
            "voimassa", "voimassa asti", "vanhenee",
            "velja do", "poteče",
            "platné do", "platnosť do"]
_VISITED = ["visit", "visited", "visited at", "visit time", "time", "date", "check in", "checkin", "date time",
            "datum", "zeit", "besuch", "besuchszeit", "eincheckzeit",
            "визит", "посещение", "время", "дата", "дата визита", "время визита", "дата и время",
            "käynti", "aika", "päivämäärä", "käyntiaika",
            "obisk", "čas", "čas obiska",
            "návšteva", "dátum", "čas návštevy"]

MEMBERSHIP_INDEX = header_index({**WHO_HEADERS, "plan": _PLAN, "starts_on": _START, "ends_on": _END,
                                 "price": _PRICE, "frozen_until": _FROZEN})
BALANCE_INDEX = header_index({**WHO_HEADERS, "service": _SERVICE, "units": _UNITS, "expires_on": _EXPIRES})
VISIT_INDEX = header_index({**WHO_HEADERS, "visited_at": _VISITED})
