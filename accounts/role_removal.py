"""What a role grants beyond its permission groups, and the one rule that takes it back when the role is removed.

A membership puts a person in their organisation's and their role's groups, and ``membership_delete`` takes them
out again. The apps above also give people work and standing through their roles: a reviewer's case-note reviews
and their appointment to a case's review, an area of a case to lead, a family's enquiry to handle. The rule is the
same everywhere: when a person loses the last membership that held such a thing up, it ends at once. It is ended,
never deleted, with who ended it and why, and an audit event; the work it leaves with nobody shows on the work list
of whoever gives it out.

The ground floor cannot import the apps above it, so each app registers, in its ``AppConfig.ready``, a function
that ends what a removed membership alone granted in that app (``register_role_removal``). ``role_removal_apply``
is the one place that calls them: ``membership_delete`` calls it in its transaction, after the membership is gone,
so each function sees the memberships the person keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from accounts.models import Membership, Organisation, Role, User


@dataclass(frozen=True)
class RoleRemoval:
    """A membership just removed: who lost which role in which organisation, and who removed it (None: the system)."""

    actor: User | None
    user: User
    organisation: Organisation
    role: str

    @property
    def reason(self) -> str:
        """Why what the role granted ends, in the words recorded on it."""
        return f"Their {Role(self.role).label.lower()} role at {self.organisation.name} was removed."

    def organisations_held(self, *, roles: Collection[str] | None = None) -> set[int]:
        """The ids of the organisations where the person still holds one of ``roles`` (any role when None)."""
        memberships = Membership.objects.filter(user=self.user)
        if roles is not None:
            memberships = memberships.filter(role__in=list(roles))
        return set(memberships.values_list("organisation_id", flat=True))


RoleRemovalHandler = Callable[[RoleRemoval], None]

_HANDLERS: dict[str, RoleRemovalHandler] = {}


def register_role_removal(name: str, handler: RoleRemovalHandler) -> None:
    """Registers ``handler(removal)``, which ends what the removed membership alone granted in one app. Registering
    the same function again is harmless; another function under a name already taken is a mistake and is refused."""
    existing = _HANDLERS.get(name)
    if existing is not None and existing is not handler:
        raise ValueError(f"A role removal handler named {name!r} is already registered.")
    _HANDLERS[name] = handler


def role_removal_handlers() -> dict[str, RoleRemovalHandler]:
    """The registered handlers, by name, in the order they were registered."""
    return dict(_HANDLERS)


def role_removal_apply(*, actor: User | None, user: User, organisation: Organisation, role: str) -> RoleRemoval:
    """Ends everything that ``user``'s removed ``role`` in ``organisation`` granted and no membership they keep still
    grants. Runs inside the caller's transaction, after the membership is deleted; every handler records its own
    audit events, so the removal and all it ends commit together or not at all."""
    removal = RoleRemoval(actor=actor, user=user, organisation=organisation, role=role)
    for handler in _HANDLERS.values():
        handler(removal)
    return removal
