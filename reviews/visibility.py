"""Which review objects each user's lists show, registered for the audit event feed and webhooks.

Patients, their judgements, and applicants' applications and invitations hold personal data: their events are
shown only to those whose lists show the record itself, never to everyone who can see the case."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.visibility import register_visible
from reviews.models import Invitation, StructuredJudgement
from reviews.selectors import cohort, recruitment, registry


def _judgements(user: User) -> QuerySet[Any]:
    """Judgements in the cohorts the user manages, and the user's own as a reviewer."""
    managed = cohort.assignment_list_for_user(user=user).values("pk")
    return StructuredJudgement.objects.filter(Q(assignment__in=managed) | Q(assignment__reviewer__user=user))


def _invitations(user: User) -> QuerySet[Any]:
    return Invitation.objects.filter(application__in=recruitment.application_list_for_user(user=user).values("pk"))


def register() -> None:
    """Called from the app's ``ready``."""
    register_visible("reviews.Cohort", lambda user: cohort.cohort_list_for_user(user=user))
    register_visible("reviews.Wave", lambda user: cohort.wave_list_for_user(user=user))
    register_visible("reviews.CohortImport", lambda user: cohort.cohort_import_list_for_user(user=user))
    register_visible("reviews.CohortPatient", lambda user: cohort.patient_list_for_user(user=user), personal=True)
    register_visible("reviews.StructuredJudgement", _judgements, personal=True)
    register_visible("reviews.Campaign", lambda user: recruitment.campaign_list_for_user(user=user))
    register_visible(
        "reviews.Application", lambda user: recruitment.application_list_for_user(user=user), personal=True
    )
    register_visible("reviews.Invitation", _invitations, personal=True)
    register_visible("reviews.Expert", lambda user: registry.expert_list_for_user(user=user))
    register_visible("reviews.Appointment", lambda user: registry.appointment_list_for_user(user=user))
