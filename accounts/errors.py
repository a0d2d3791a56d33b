"""Domain errors shared by every app. Each interface maps them once: a form error or message on
pages, a 400 or 409 with the standard error body in the API."""


class DomainError(Exception):
    """A rule of the regime refused the request; the message is plain English for the user."""


class TransitionNotAllowed(DomainError):
    """The object is not in a state from which this change is allowed (HTTP 409)."""


class ConflictError(DomainError):
    """The request clashes with what is already recorded, such as a second decision (HTTP 409)."""
