"""What counts as the database being out of reach, and how long a client should wait before trying again.

A view, a middleware or a context processor that cannot reach the database raises Django's ``OperationalError``
(the server is down, refuses connections, or ran out of them) or ``InterfaceError`` (the connection was lost). The
fault handler (``failure_regime.views.public.server_error``) answers those with a branded 503 and
``Retry-After`` rather than a 500, and ``communications.public_cache.LastGoodCopyMiddleware`` serves a public page's
last good copy instead when it has one.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

RETRY_AFTER_SECONDS = 60


def database_unavailable(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) is the database being out of reach."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False
