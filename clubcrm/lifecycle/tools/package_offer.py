"""Package offer: this tool's default rules, triggers, names and SMS texts."""
from flask_babel import lazy_gettext as _l

from clubcrm.lifecycle.firing import Context, Fired
from clubcrm.lifecycle.tools.base import IN_CYCLE, DefaultRule, ToolSpec, Trigger
from clubcrm.models import Rule


def low_balance(rule: Rule, ctx: Context) -> Fired | None:
    for package in ctx.facts.packages.get(ctx.member.id, ()):
        if package.balance <= (rule.threshold or 0):
            return Fired(package.id, {"service": package.service, "balance": package.balance})
    return None


def package_expiring(rule: Rule, ctx: Context) -> Fired | None:
    for package in ctx.facts.packages.get(ctx.member.id, ()):
        if package.expires_on is None:
            continue
        left = (package.expires_on - ctx.day).days
        if left <= rule.days and left >= rule.days - rule.window_days:
            return Fired(package.expires_on.toordinal(), {
                "service": package.service, "balance": package.balance, "expires_on": package.expires_on.isoformat(),
            })
    return None


TOOL = ToolSpec(
    key="package_offer",
    name=_l("Package offer"),
    effect=0.5,
    rules=(
        DefaultRule("low_balance", "package_offer", "low_balance", IN_CYCLE, "sms", 45, threshold=2),
        DefaultRule("package_expiring", "package_offer", "package_expiring", IN_CYCLE, "sms", 46, days=14,
                    window_days=14),
    ),
    rule_names={
        "low_balance": _l("Package balance running low"),
        "package_expiring": _l("Package expiring unused"),
    },
    triggers={
        "low_balance": Trigger(low_balance, ("threshold",),
                               _l("When a package balance falls to the threshold or below.")),
        "package_expiring": Trigger(package_expiring, ("days", "window_days"),
                                    _l("This many days before a package with units left expires.")),
    },
    fact_names={
        "service": _l("service"),
        "balance": _l("balance"),
        "expires_on": _l("expires on"),
    },
    texts={
        "low_balance": {
            "en": (
                "Hi {first_name}, your {service} package is almost used up - sessions left: {balance}. Top it up at "
                "the desk to keep going. Your package: {link}"
            ),
            "de": (
                "Hallo {first_name}, dein Paket {service} ist fast aufgebraucht - verbleibende Einheiten: {balance}. "
                "Am Empfang kannst du es aufstocken. Dein Paket: {link}"
            ),
            "ru": (
                "{first_name}, в Вашем пакете «{service}» осталось занятий: {balance}. Продлить пакет можно у "
                "администратора. Ваш пакет: {link}"
            ),
            "fi": (
                "Hei {first_name}, pakettisi {service} on loppumassa - kertoja jäljellä: {balance}. Voit täydentää "
                "sitä vastaanotossa. Pakettisi: {link}"
            ),
            "sl": (
                "{first_name}, vaš paket {service} bo kmalu porabljen. Preostali termini: {balance}. Paket lahko "
                "podaljšate na recepciji. Vaš paket: {link}"
            ),
            "sk": (
                "{first_name}, Váš balík {service} sa míňa. Zostávajúce vstupy: {balance}. Doplniť si ho môžete na "
                "recepcii. Váš balík: {link}"
            ),
        },
        "package_expiring": {
            "en": (
                "Hi {first_name}, your {service} sessions ({balance} left) expire on {expires_on}. Book them soon so "
                "none go to waste! Book here: {link}"
            ),
            "de": (
                "Hallo {first_name}, deine Einheiten für {service} (noch {balance} übrig) verfallen am {expires_on}. "
                "Buch sie rechtzeitig, damit keine verfällt! Hier buchen: {link}"
            ),
            "ru": (
                "{first_name}, срок действия пакета «{service}» истекает {expires_on}, осталось занятий: {balance}. "
                "Запишитесь заранее, чтобы ничего не сгорело! Записаться: {link}"
            ),
            "fi": (
                "Hei {first_name}, pakettisi {service} vanhenee {expires_on}, kertoja jäljellä: {balance}. Varaa ajat "
                "ajoissa, ettei yksikään mene hukkaan! Varaa tästä: {link}"
            ),
            "sl": (
                "{first_name}, paket {service} poteče {expires_on}. Preostali termini: {balance}. Rezervirajte jih "
                "pravočasno, da ne zapadejo! Rezervirajte tu: {link}"
            ),
            "sk": (
                "{first_name}, platnosť Vášho balíka {service} končí {expires_on}. Zostávajúce vstupy: {balance}. "
                "Rezervujte si ich včas, nech žiadny nepropadne! Rezervujte tu: {link}"
            ),
        },
    },
)
