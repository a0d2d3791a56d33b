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
import time_machine
from django.core.management import call_command
from django.db.models import Model, QuerySet
from django.test import override_settings
from django.utils import timezone

from accounts.models import TRUST_KINDS, Organisation, OrganisationKind, Role, User
from communications.models import PlanItem
from failure_regime import selectors
from failure_regime.models import (
    Basis,
    Case,
    Concern,
    ConcernSource,
    Deadline,
    DeadlineKind,
    EnforcementAction,
    EnforcementKind,
    Episode,
    Intervention,
    MonthlyReport,
    Recommendation,
    Severity,
)
from failure_regime.services import cases, concerns, enforcement
from failure_regime.services import special_measures as sm
from failure_regime.services.clock import MINE, deadline_open, deadlines_mine_q, deadlines_of
from tests.factories import OrganisationFactory, member, sole_organisation
from tests.failure_regime.inspection_helpers import rated_inspection

pytestmark = pytest.mark.django_db

SUBJECT_LISTS = {
    Case: selectors.case_list_for_user,
    Concern: selectors.concern_list_for_user,
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
        "concern",
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


def make_some_overdue() -> None:
    """The second, fourth... open deadline of each kind is two days overdue, so both halves of each rule are tried
    (a kind's only deadline stays to come)."""
    for kind in DeadlineKind.values:
        of_kind = Deadline.objects.filter(kind=kind, met_at__isnull=True).order_by("pk").values_list("pk", flat=True)
        Deadline.objects.filter(pk__in=list(of_kind)[1::2]).update(due_at=timezone.now() - timedelta(days=2))


def test_every_kinds_condition_names_the_deadlines_its_resolver_does(demo: None) -> None:
    """A kind's registered condition (``MINE``) is its resolver's rule as a query: for every person of the demo,
    and the staff of a second regulator that has served notices of its own, it finds exactly the deadlines the
    resolver names them for."""
    other = OrganisationFactory.create(name="Another Regulator", ods_code="REG2", kind=OrganisationKind.REGULATOR)
    decision_maker = member(other, Role.REGULATOR_DECISION_MAKER)
    inspector = member(other, Role.INSPECTOR)
    for provider in Organisation.objects.filter(deadlines__isnull=False).distinct().order_by("pk")[:2]:
        for served in (EnforcementKind.NOTICE_OF_PROPOSAL, EnforcementKind.WARNING_NOTICE):
            enforcement.enforcement_record(
                actor=inspector,
                organisation=other,
                provider=provider,
                kind=served,
                summary="The provider must staff its wards safely.",
                served_on=timezone.localdate(),
                deadline_on=timezone.localdate() + timedelta(days=28),
            )
    # A GP practice the second regulator placed in special measures; then every open episode (the demo's trusts'
    # and this one) has each of an episode's deadlines.
    surgery = OrganisationFactory.create(name="Riverside Surgery", ods_code="Y0101", kind=OrganisationKind.GP_PRACTICE)
    sm.episode_enter(
        actor=decision_maker,
        organisation=other,
        provider=surgery,
        entered_on=timezone.localdate(),
        basis=Basis.CQC_DECISION,
        recommending_inspection=rated_inspection(surgery, inspector, timezone.localdate()),
    )
    episodes = list(Episode.objects.filter(exited_on__isnull=True).select_related("provider"))
    assert {e.provider.is_trust for e in episodes} == {True, False}
    for episode in episodes:
        for own in (DeadlineKind.EXTENSION_END, DeadlineKind.REGISTRATION_DECISION, DeadlineKind.REINSPECTION):
            if not Deadline.objects.filter(kind=own, subject_id=episode.pk, met_at__isnull=True).exists():
                due_at = timezone.now() + timedelta(days=60)
                deadline_open(kind=own, title=own, provider=episode.provider, subject=episode, due_at=due_at)
    make_some_overdue()
    assert MINE, "no kind registers a condition"
    people = list(User.objects.filter(memberships__isnull=False).distinct())
    named = 0
    # Today, with some of each kind to come, and two years on, when every one is overdue.
    for later in (timedelta(0), timedelta(days=730)):
        with time_machine.travel(timezone.now() + later, tick=False):
            now = timezone.now()
            for kind in MINE:
                deadlines = Deadline.objects.filter(kind=kind, met_at__isnull=True)
                assert deadlines.filter(due_at__gte=now).exists() != bool(later), kind
                for user in people:
                    by_resolver = {d.pk for d in deadlines_of(user=user, deadlines=deadlines)}
                    mine = deadlines_mine_q(user=user, kinds=[kind], now=now)
                    assert set(deadlines.filter(mine).values_list("pk", flat=True)) == by_resolver, (kind, user.email)
                    named += bool(by_resolver)
    assert named > 20


def test_no_condition_for_someone_no_longer_active(demo: None) -> None:
    make_some_overdue()
    inspector = User.objects.filter(memberships__role=Role.INSPECTOR).first()
    assert inspector is not None
    assert Deadline.objects.filter(deadlines_mine_q(user=inspector, kinds=MINE, now=timezone.now())).exists()
    inspector.is_active = False
    assert not Deadline.objects.filter(deadlines_mine_q(user=inspector, kinds=MINE, now=timezone.now())).exists()


def test_a_kind_without_a_condition_is_refused(demo: None) -> None:
    inspector = User.objects.filter(memberships__role=Role.INSPECTOR).first()
    assert inspector is not None
    with pytest.raises(LookupError, match="sign_off"):
        deadlines_mine_q(user=inspector, kinds=[DeadlineKind.SIGN_OFF], now=timezone.now())
