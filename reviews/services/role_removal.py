"""What removing a person's reviewing role ends in reviews (the rule is ``accounts.role_removal``'s).

An expert's case-note reviews and appointments on a case were granted through a reviewing role (expert reviewer or
review chair) and through the organisations that brought them to the case: those that appointed them to it, and
the one whose recruitment for it they joined (approved experts join it as expert reviewers). Removing a reviewing
role ends them on a case when it was the person's last reviewing role anywhere, or when it was in one of the
organisations that brought them to that case and they keep none in any of those. A role they keep elsewhere does
not hold up what an organisation that brought them to the case has taken back.

On each such case it ends, with who ended it and why, and an audit event:

- their open assignments (active, not yet submitted): pages and the API answer 404 for them at once and writes are
  refused. A draft stays with its ended assignment. The patients wait for a reviewer again, on the work list of
  the review's managers (``reviews.work.patients_to_assign``), and the next assignment run gives them out;
- their appointments, so that they are no longer eligible for its reviews, nor run it as its chair or lead.

Submitted reviews are left active: they are the review's findings. Their reviewer no longer reads them once they
hold no reviewing role (``reviewer_assignment_list_for_user``).
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import audit_record
from accounts.role_removal import RoleRemoval
from reviews.models import Application, Appointment, Assignment, Cohort, Expert, JudgementStatus
from reviews.selectors.team import REVIEWING_ROLES
from reviews.services.cohort import cohort_lock
from reviews.verbs import ReviewsVerb


def _open_assignments(expert: Expert) -> Q:
    return Q(Assignment.ACTIVE, reviewer=expert) & ~Q(judgement__status=JudgementStatus.SUBMITTED)


def _organisations_that_brought(expert: Expert, case_ids: set[int]) -> dict[int, set[int]]:
    """For each of ``case_ids``, the organisations that brought ``expert`` to it: those that appointed them (whether
    or not the appointment has since ended) and the one whose recruitment for the case they joined."""
    brought: dict[int, set[int]] = defaultdict(set)
    appointed = Appointment.objects.filter(expert=expert, case_id__in=case_ids)
    for case_id, organisation_id in appointed.values_list("case_id", "appointed_by_organisation_id"):
        brought[case_id].add(organisation_id)
    recruited = Application.objects.filter(expert=expert, campaign__case_id__in=case_ids)
    for case_id, organisation_id in recruited.values_list("campaign__case_id", "campaign__organisation_id"):
        brought[case_id].add(organisation_id)
    return brought


def cases_lost_on_role_removal(*, removal: RoleRemoval, expert: Expert) -> set[int]:
    """The ids of the cases where ``removal`` ends ``expert``'s reviews and appointments (see the module docstring):
    the rule, in one place."""
    if removal.role not in REVIEWING_ROLES:
        return set()
    case_ids = set(
        Assignment.objects.filter(_open_assignments(expert)).values_list("patient__cohort__case_id", flat=True)
    ) | set(Appointment.objects.filter(expert=expert, ended_at__isnull=True).values_list("case_id", flat=True))
    if not case_ids:
        return set()
    kept = removal.organisations_held(roles=REVIEWING_ROLES)
    if not kept:
        return case_ids
    brought = _organisations_that_brought(expert, case_ids)
    lost = removal.organisation.pk
    return {case_id for case_id in case_ids if lost in brought[case_id] and not kept & brought[case_id]}


def _assignments_end(removal: RoleRemoval, expert: Expert, cohort: Cohort) -> None:
    cohort = cohort_lock(cohort)
    # Under the cohort's lock, as assignment runs and submissions take it: a review submitted meanwhile stays.
    ids = list(
        Assignment.objects.select_for_update(of=("self",))
        .filter(_open_assignments(expert), patient__cohort=cohort)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return
    reason = removal.reason
    Assignment.objects.filter(pk__in=ids).update(ended_at=timezone.now(), ended_by=removal.actor, end_reason=reason)
    audit_record(
        actor=removal.actor,
        organisation=removal.organisation,
        verb=ReviewsVerb.ASSIGNMENTS_ENDED,
        target=cohort,
        scope=cohort.case,
        before={"active": ids},
        after={"reviewer": expert.pk, "ended": ids, "reason": reason},
    )


def _appointments_end(removal: RoleRemoval, expert: Expert, case_id: int) -> None:
    appointments = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("case")
        .filter(expert=expert, case_id=case_id, ended_at__isnull=True)
        .order_by("pk")
    )
    reason = removal.reason
    for appointment in appointments:
        appointment.ended_at, appointment.ended_by, appointment.end_reason = timezone.now(), removal.actor, reason
        appointment.save(update_fields=["ended_at", "ended_by", "end_reason"])
        audit_record(
            actor=removal.actor,
            organisation=removal.organisation,
            verb=ReviewsVerb.APPOINTMENT_ENDED,
            target=appointment,
            scope=appointment.case,
            before={"active": True},
            after={"active": False, "expert": expert.pk, "role": appointment.role, "reason": reason},
        )


@transaction.atomic
def reviewer_role_removed(removal: RoleRemoval) -> None:
    """Ends the removed person's open reviews and appointments on every case the removal takes them off
    (``cases_lost_on_role_removal``). Registered with ``accounts.role_removal``; runs in ``membership_delete``'s
    transaction."""
    expert = Expert.objects.filter(user=removal.user).first()
    if expert is None:
        return
    for case_id in sorted(cases_lost_on_role_removal(removal=removal, expert=expert)):
        cohort = Cohort.objects.filter(case_id=case_id).first()
        if cohort is not None:
            _assignments_end(removal, expert, cohort)
        _appointments_end(removal, expert, case_id)
