"""Work typed into a form when the session had already ended: kept, so that nothing is lost (WCAG 2.2.1).

When a signed-in person's session has ended (idle or too long) and they send a form, the typed values are kept in
the new session, which lives on the server, tagged with who typed them and when. Once that same person has signed
in again they see what they typed and can send it again as it was, or discard it. Files and anything that looks
like a password, code or token are never kept. What is kept expires after an hour, and only the person who typed
it is shown it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

UNSENT_WORK = "unsent_work"
KEPT_FOR = timedelta(hours=1)
# More than this is not kept: a session is no place for a document.
_MAX_CHARACTERS = 50_000
_NEVER_KEPT = ("csrfmiddlewaretoken", "password", "token", "otp", "secret", "code")


@dataclass(frozen=True)
class UnsentWork:
    path: str
    came_from: str
    fields: list[tuple[str, str]]
    files_left_out: bool
    typed_at: datetime

    @property
    def rows(self) -> list[tuple[str, str]]:
        """Each value typed, with its field's name made readable ("terms_of_reference" is "Terms of reference")."""
        return [(name.replace("_", " ").replace("-", " ").strip().capitalize(), value) for name, value in self.fields]


def _kept(name: str) -> bool:
    lowered = name.lower()
    return not any(word in lowered for word in _NEVER_KEPT)


def unsent_work_keep(request: HttpRequest, *, user_id: int, came_from: str) -> bool:
    """Keeps what ``request`` (a POST that arrived after the session ended) carried, in the request's current
    session, for the user ``user_id``. Returns whether anything was worth keeping."""
    fields = [(name, value) for name, values in request.POST.lists() if _kept(name) for value in values]
    if not fields or sum(len(name) + len(value) for name, value in fields) > _MAX_CHARACTERS:
        return False
    request.session[UNSENT_WORK] = {
        "user": user_id,
        "path": request.path,
        "came_from": came_from,
        "fields": fields,
        "files_left_out": bool(request.FILES),
        "typed_at": timezone.now().isoformat(),
    }
    return True


def unsent_work_for(request: HttpRequest) -> UnsentWork | None:
    """What the signed-in person typed before their session ended, if it is theirs and still kept."""
    kept: dict[str, Any] | None = request.session.get(UNSENT_WORK)
    if not kept:
        return None
    typed_at = datetime.fromisoformat(kept["typed_at"])
    if kept["user"] != request.user.pk or timezone.now() - typed_at > KEPT_FOR:
        unsent_work_discard(request)
        return None
    return UnsentWork(
        path=kept["path"],
        came_from=kept["came_from"],
        fields=[(name, value) for name, value in kept["fields"]],
        files_left_out=kept["files_left_out"],
        typed_at=typed_at,
    )


def unsent_work_discard(request: HttpRequest) -> None:
    request.session.pop(UNSENT_WORK, None)


def unsent_work_sent(request: HttpRequest) -> None:
    """Forgets the kept work once it has been sent again to where it was going."""
    kept = request.session.get(UNSENT_WORK)
    if kept and kept["path"] == request.path and kept["user"] == request.user.pk:
        unsent_work_discard(request)
