"""Member links' tokens stay out of the logs: a request line of /m/<token> (the development server's, gunicorn's
access log) is written with the token replaced by a placeholder. Our own log lines name the touchpoint instead."""
import logging
import re

# /m/ followed by a token (or anything in its place) up to the next /, ?, space or quote.
_MEMBER_PATH = re.compile(r"/m/[^/?\s\"']+")
REDACTED = "/m/<token>"
# The loggers that write request lines.
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    return _MEMBER_PATH.sub(REDACTED, text)


class TokenFilter(logging.Filter):
    """Rewrite a record whose message holds a member path: its formatted message with the token replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:   # a record that cannot be formatted is left for logging to report
            return True
        if "/m/" in message:
            record.msg, record.args = redact(message), None
        return True


_FILTER = TokenFilter()


def install() -> None:
    """Put the filter on the request-line loggers (once, however many apps a process makes)."""
    for name in REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
