"""Reading pages as a person would: the messages under fields and the flashed notices."""
import html
import re

from clubcrm.extensions import db

ERROR = re.compile(r'<small class="error" data-field="([^"]+)">(.*?)</small>', re.S)
FLASH = re.compile(r'<div class="flash ([^"]*)" role="status">(.*?)</div>', re.S)


class Web:
    """The test client, with the test's transaction ended before each request (no stale reads)."""

    def __init__(self, client) -> None:
        self.client = client

    def open(self, method: str, url: str, **kw):
        db.session.commit()
        return self.client.open(url, method=method, **kw)

    def get(self, url: str, **kw):
        return self.open("GET", url, **kw)

    def post(self, url: str, data=None, **kw):
        return self.open("POST", url, data=data or {}, **kw)


def field_errors(response) -> dict[str, list[str]]:
    """The messages shown under form fields, by the field's data-field name."""
    found: dict[str, list[str]] = {}
    for name, message in ERROR.findall(response.text):
        found.setdefault(name, []).append(html.unescape(message.strip()))
    return found


def flashes(response) -> list[str]:
    """The flashed notices on a page, in order."""
    return [html.unescape(text.strip()) for _category, text in FLASH.findall(response.text)]
