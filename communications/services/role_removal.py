"""What removing a person's family liaison role ends in communications (the rule is ``accounts.role_removal``'s).

An enquiry is assigned to one of the family liaison officers who may handle it (``enquiry_officers``: those of its
handling organisation and of its case's family-support organisations). When a removal leaves the assigned officer
outside that set, the enquiry goes back to its handling organisation's queue: it is unassigned, with who removed the
role and why in the audit trail, and shows at once on the work list of every officer there ("Not assigned"), its
response clock running as before. An officer who keeps the role somewhere that still handles the enquiry keeps it.
"""

from __future__ import annotations

from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Role
from accounts.role_removal import RoleRemoval
from communications.models import Enquiry
from communications.selectors.enquiries import enquiry_officers
from communications.verbs import CommunicationsVerb


@transaction.atomic
def enquiries_return_on_role_removal(removal: RoleRemoval) -> None:
    """Unassigns every enquiry assigned to the removed officer that they may no longer handle. Registered with
    ``accounts.role_removal``; runs in ``membership_delete``'s transaction."""
    if removal.role != Role.FAMILY_LIAISON_OFFICER:
        return
    assigned = (
        Enquiry.objects.select_for_update(of=("self",))
        .select_related("case", "handled_by")
        .filter(assigned_to=removal.user)
        .order_by("pk")
    )
    for enquiry in assigned:
        if enquiry_officers(enquiry=enquiry).filter(pk=removal.user.pk).exists():
            continue
        enquiry.assigned_to = None
        enquiry.save(update_fields=["assigned_to"])
        audit_record(
            actor=removal.actor,
            organisation=removal.organisation,
            verb=CommunicationsVerb.ENQUIRY_UNASSIGNED,
            target=enquiry,
            before={"assigned_to": removal.user.pk},
            after={"assigned_to": None, "reason": removal.reason},
        )
