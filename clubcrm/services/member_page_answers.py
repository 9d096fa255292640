"""The member's answers on their page: the link's open, a renewal offer's answer, SMS on or off, the language."""
from clubcrm.services.member_links import Found


def viewed(found: Found) -> None:
    raise NotImplementedError("issue 18, part 3")


def answer_renewal(found: Found, answer: str):
    raise NotImplementedError("issue 18, part 3")


def set_sms(found: Found, value: str):
    raise NotImplementedError("issue 18, part 3")


def set_language(found: Found, locale: str):
    raise NotImplementedError("issue 18, part 3")
