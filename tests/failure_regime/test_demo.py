from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, Organisation, OrganisationKind, Role, User
from failure_regime.demo import DEMO_BACKUP_CODES, DEMO_PASSWORD, DEMO_USERS, seed_demo
from failure_regime.models import ConcernStatus
from failure_regime.selectors import concern_list_for_user
from failure_regime.services.cases import case_propose
from tests.factories import sole_organisation

pytestmark = pytest.mark.django_db


def test_it_creates_one_demo_user_for_every_role() -> None:
    seed_demo()
    roles = {m.role for u in DEMO_USERS for m in User.objects.get(email=u.email).memberships.all()}
    assert roles == set(Role)


def test_running_it_twice_changes_nothing() -> None:
    seed_demo()
    counts = (Organisation.objects.count(), User.objects.count(), AuditEvent.objects.count())
    seed_demo()
    assert (Organisation.objects.count(), User.objects.count(), AuditEvent.objects.count()) == counts


@pytest.mark.parametrize(
    ("ods_code", "kind", "oversight_body"),
    [
        ("RDD", OrganisationKind.FOUNDATION_TRUST, "Monitor"),
        ("RXQ", OrganisationKind.NHS_TRUST, "NHS Trust Development Authority"),
        ("RWD", OrganisationKind.NHS_TRUST, "NHS Trust Development Authority"),
        ("RK5", OrganisationKind.FOUNDATION_TRUST, "Monitor"),
    ],
)
def test_the_keogh_trusts_answer_to_the_right_oversight_body(ods_code: str, kind: str, oversight_body: str) -> None:
    seed_demo()
    trust = Organisation.objects.select_related("oversight_body").get(ods_code=ods_code)
    assert trust.oversight_body is not None
    assert (trust.kind, trust.oversight_body.name) == (kind, oversight_body)


def test_there_are_fourteen_keogh_trusts() -> None:
    seed_demo()
    assert (
        Organisation.objects.filter(kind__in=[OrganisationKind.FOUNDATION_TRUST, OrganisationKind.NHS_TRUST]).count()
        == 14
    )


def test_a_demo_user_signs_in_with_a_backup_code() -> None:
    seed_demo()
    client = Client()
    client.post(reverse("accounts:sign-in"), {"username": DEMO_USERS[0].email, "password": DEMO_PASSWORD})
    client.post(reverse("accounts:two-factor"), {"token": DEMO_BACKUP_CODES[0]})
    assert client.get(reverse("staff-home")).status_code == 200


def test_it_leaves_an_open_concern_that_a_decision_maker_can_propose_a_case_from() -> None:
    seed_demo()
    decision_maker = User.objects.get(email="decision.maker@cqc.example")
    waiting = list(concern_list_for_user(user=decision_maker).filter(status=ConcernStatus.RECEIVED, cases__isnull=True))
    case = case_propose(
        actor=decision_maker,
        organisation=sole_organisation(decision_maker),
        provider=waiting[0].provider,
        concerns=waiting[:1],
        title="Emergency department safety",
        summary="Patients waiting without checks.",
        scope="The emergency department.",
        terms_of_reference="Find out whether patients are safe while they wait.",
    )
    assert list(case.concerns.all()) == waiting[:1]


def test_the_public_register_lists_medway_now_and_the_past_episodes_as_they_ended(client: Client) -> None:
    seed_demo()
    rows = {
        row.provider_ods_code: row for row in client.get(reverse("communications:special-measures")).context["rows"]
    }
    assert rows["RPA"].outcome == "Still in special measures"
    assert rows["Y90002"].outcome == "Registration cancelled on 3 October 2016"
    assert rows["VDM01"].outcome == "Left special measures on 2 March 2020"
    assert not rows["Y90002"].reinspection_overdue and not rows["VDM01"].reinspection_overdue


def test_past_episodes_send_nothing() -> None:
    from failure_regime.models import Deadline, Episode, OutboxMessage
    from failure_regime.services.clock import deadline_sweep

    seed_demo()
    past = Episode.objects.filter(historic=True)
    assert past.count() == 2
    deadline_sweep()
    assert not Deadline.objects.filter(provider__in=past.values("provider")).exists()
    names = [e.provider.name for e in past.select_related("provider")]
    assert not [m for m in OutboxMessage.objects.all() if any(n in m.subject or n in m.body for n in names)]
