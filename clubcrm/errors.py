"""Domain errors: each carries a code, the field it concerns and a translatable message."""
from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A business rule refused the request; nothing was written."""

    code = "error"
    http_status = 400

    def __init__(self, field: str | None, message, code: str | None = None):
        super().__init__(str(message))
        self.field = field
        self.message = message
        if code:
            self.code = code

    def __str__(self) -> str:
        return str(self.message)


class InvalidInput(DomainError):
    code = "invalid"
    http_status = 422


class InvalidInputs(InvalidInput):
    """Several fields refused at once (each an InvalidInput): a form shows every error at its field. As one error
    it reads as its first (field, message and code), for callers that show one."""

    def __init__(self, errors: list[InvalidInput]):
        first = errors[0]
        super().__init__(first.field, first.message, first.code)
        self.errors = errors


def raise_all(errors: list[InvalidInput]) -> None:
    """Raise ERRORS: nothing when empty, the error itself when one, else InvalidInputs."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InvalidInputs(errors)


class NotAllowed(DomainError):
    code = "not_allowed"
    http_status = 403


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


class NotFound(DomainError):
    code = "not_found"
    http_status = 404

    def __init__(self, field: str | None = None, message=None, code: str | None = None):
        super().__init__(field, message or _l("Not found."), code)


class CheckinRefused(NotAllowed):
    """A check-in that the member's contract does not allow; the code names the reason."""
