"""A deadline is visible exactly when its subject is.

``deadline_list_for_user`` writes the subjects' rules so that indexes answer them (a model-wide permission admits a
whole kind, oversight is read from the deadline's own provider, object grants are read first). These tests hold it
to the rule it stands for: for every person of the demo, and with grants read by key or by subquery, the open
deadlines listed are exactly those whose subject that person's own list of that subject shows.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Model, QuerySet
from django.test import override_settings
from django.utils import timezone

from accounts.models import TRUST_KINDS, Organisation, OrganisationKind, Role, User
from communications.models import PlanItem
from failure_regime import selectors
from failure_regime.models import (
    Case,
    ConcernSource,
    Deadline,
    EnforcementAction,
    EnforcementKind,
    Episode,
    Intervention,
    MonthlyReport,
    Recommendation,
    Severity,
)
from failure_regime.services import cases, concerns, enforcement
from failure_regime.services.clock import ANYONE, REACHES, RESOLVERS, deadlines_of, deadlines_within_reach_q
from tests.factories import sole_organisation

pytestmark = pytest.mark.django_db

SUBJECT_LISTS = {
    Case: selectors.case_list_for_user,
    EnforcementAction: selectors.enforcement_list_for_user,
    Episode: selectors.episode_list_for_user,
    MonthlyReport: selectors.report_list_for_user,
    Recommendation: selectors.recommendation_list_for_user,
    Intervention: selectors.intervention_list_for_user,
}


def _plan_items_for_user(*, user: User) -> QuerySet[PlanItem]:
    # A plan is seen with its case, and its items with it.
    return PlanItem.objects.filter(plan__case__in=selectors.case_list_for_user(user=user).values("pk"))


SUBJECT_LISTS[PlanItem] = _plan_items_for_user


def by_subject_rules(user: User) -> set[int]:
    """The open deadlines whose subject ``user`` may see, read through each subject's own list."""
    visible: set[int] = set()
    for deadline in Deadline.objects.filter(met_at__isnull=True).select_related("subject_type"):
        model: type[Model] = deadline.subject_type.model_class()  # type: ignore[assignment]
        subjects: QuerySet[Model] = SUBJECT_LISTS[model](user=user)
        if subjects.filter(pk=deadline.subject_id).exists():
            visible.add(deadline.pk)
    return visible


@pytest.fixture
def demo(db: None) -> None:
    """The demo, with an immediate case proposed and an enforcement action served for two of its providers each,
    so that every kind of subject has an open deadline."""
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=StringIO())
    inspector = User.objects.filter(memberships__role=Role.INSPECTOR).first()
    decision_maker = User.objects.filter(memberships__role=Role.REGULATOR_DECISION_MAKER).first()
    assert inspector is not None and decision_maker is not None
    providers = [
        *Organisation.objects.filter(kind__in=TRUST_KINDS).order_by("pk")[:1],
        *Organisation.objects.filter(kind=OrganisationKind.GP_PRACTICE).order_by("pk")[:1],
    ]
    assert len(providers) == 2
    for provider in providers:
        concern = concerns.concern_raise(
            actor=inspector,
            organisation=sole_organisation(inspector),
            provider=provider,
            source=ConcernSource.WHISTLEBLOWING,
            summary="Staff say the wards are unsafe at night.",
            severity=Severity.IMMEDIATE,
        )
        cases.case_propose(
            actor=decision_maker,
            organisation=sole_organisation(decision_maker),
            provider=provider,
            concerns=[concern],
            title="Unsafe care at night",
            summary="Staff raised concerns.",
            scope="2025 to 2026",
            terms_of_reference="Review care at night.",
        )
        enforcement.enforcement_record(
            actor=inspector,
            organisation=sole_organisation(inspector),
            provider=provider,
            kind=EnforcementKind.WARNING_NOTICE,
            summary="The provider must staff its wards safely.",
            served_on=timezone.localdate(),
            deadline_on=timezone.localdate() + timedelta(days=30),
        )


@pytest.mark.parametrize("keys_in_query", [200, 0], ids=["grants-by-key", "grants-by-subquery"])
def test_every_demo_person_sees_the_deadlines_of_the_subjects_they_see(
    demo: None, monkeypatch: pytest.MonkeyPatch, keys_in_query: int
) -> None:
    monkeypatch.setattr(selectors, "_KEYS_IN_QUERY", keys_in_query)
    monkeypatch.setattr(selectors, "_PROVIDERS_IN_QUERY", keys_in_query)
    kinds = set(Deadline.objects.filter(met_at__isnull=True).values_list("subject_type__model", flat=True))
    assert {
        "case",
        "enforcementaction",
        "episode",
        "monthlyreport",
        "recommendation",
        "intervention",
        "planitem",
    } <= kinds
    people = list(User.objects.filter(is_active=True, memberships__isnull=False).distinct())
    assert len(people) > 10
    seen_some = seen_none = 0
    for user in people:
        listed = set(selectors.deadline_list_for_user(user=user).values_list("pk", flat=True))
        assert listed == by_subject_rules(user), user.email
        seen_some += bool(listed)
        seen_none += not listed
    # The demo has people who see deadlines and people who see none.
    assert seen_some and seen_none


def test_a_deadline_is_about_its_subjects_provider(demo: None) -> None:
    """Oversight is read from the deadline's own provider, so it must always be its subject's."""
    for deadline in Deadline.objects.select_related("subject_type"):
        subject = deadline.subject
        assert subject is not None, deadline
        if isinstance(subject, MonthlyReport | Intervention):
            provider_id = subject.episode.provider_id
        elif isinstance(subject, PlanItem):
            provider_id = subject.plan.case.provider_id
        else:
            provider_id = subject.provider_id
        assert deadline.provider_id == provider_id, deadline


# --- Which deadlines are a person's own ------------------------------------------------------------------------


@pytest.mark.parametrize("overdue", [False, True], ids=["upcoming", "overdue"])
def test_every_resolver_names_only_people_within_its_declared_reach(demo: None, overdue: bool) -> None:
    """The roles a resolver declares (``Reach``) bound the people it names, before and after the deadline."""
    checked = 0
    for kind, resolver in RESOLVERS.items():
        reach = REACHES.get(kind, ANYONE)
        roles = reach.overdue if overdue else reach.upcoming
        deadlines = list(Deadline.objects.filter(kind=kind, met_at__isnull=True))
        if roles is None or not deadlines:
            continue
        for deadline_pk, people in resolver(deadlines, overdue).items():
            for person in people:
                held = set(person.memberships.values_list("role", flat=True))
                assert held & roles, (kind, deadline_pk, person.email)
                checked += 1
    assert checked


def test_the_home_page_finds_the_same_deadlines_within_reach_as_among_all(demo: None) -> None:
    """Narrowing by reach only saves work: every demo person's own deadlines are the same with it and without."""
    kinds = set(Deadline.objects.values_list("kind", flat=True))
    # Some are overdue, so both halves of each reach are tried.
    every_third = list(Deadline.objects.filter(met_at__isnull=True).values_list("pk", flat=True))[::3]
    Deadline.objects.filter(pk__in=every_third).update(due_at=timezone.now() - timedelta(days=2))
    people = list(User.objects.filter(is_active=True, memberships__isnull=False).distinct())
    found_some = 0
    for user in people:
        visible = selectors.deadline_list_for_user(user=user)
        everything = deadlines_of(user=user, deadlines=visible)
        narrowed = deadlines_of(user=user, deadlines=visible.filter(deadlines_within_reach_q(user=user, kinds=kinds)))
        assert [d.pk for d in narrowed] == [d.pk for d in everything], user.email
        found_some += bool(everything)
    assert found_some > 3
