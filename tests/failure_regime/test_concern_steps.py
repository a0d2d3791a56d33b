"""A concern's handling after it is recorded: received, assessed, an outcome decided, closed, each with reasons, by
the organisations that handle it (the one that recorded it, the provider's oversight body, a regulator)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.errors import TransitionNotAllowed
from accounts.models import AuditEvent, Organisation, OrganisationKind, Role, User
from accounts.services import membership_create
from failure_regime.models import Concern, ConcernOutcome, ConcernStatus, ConcernStep
from failure_regime.services.concern_steps import (
    concern_assess,
    concern_close,
    concern_outcome_decide,
    step_organisations,
)
from failure_regime.services.concerns import concern_report_own
from failure_regime.work import work_for_user
from failure_regime.work_sources import CONCERNS
from tests.factories import OrganisationFactory, member
from tests.failure_regime.conftest import propose

ClientFor = Callable[[User], Client]
ApiFor = Callable[[User], APIClient]


def _assessed(concern: Concern, inspector: User) -> Concern:
    concern_assess(actor=inspector, concern=concern, reasons="Mortality is 30% above the expected range.")
    return Concern.objects.get(pk=concern.pk)


def _decided(concern: Concern, inspector: User, regulator: User, outcome: str = ConcernOutcome.MONITOR) -> Concern:
    _assessed(concern, inspector)
    concern_outcome_decide(actor=regulator, concern=concern, outcome=outcome, reasons="Watch the monthly data.")
    return Concern.objects.get(pk=concern.pk)


# --- The steps, in order ----------------------------------------------------------------------------------------


def test_a_concern_is_received_assessed_decided_and_closed_with_reasons(
    concern: Concern, inspector: User, regulator: User, cqc: Organisation
) -> None:
    assert concern.status == ConcernStatus.RECEIVED
    concern = _decided(concern, inspector, regulator)
    assert (concern.status, concern.outcome) == (ConcernStatus.OUTCOME, ConcernOutcome.MONITOR)
    concern_close(actor=regulator, concern=concern, reasons="Six months of data within the range.")
    concern = Concern.objects.get(pk=concern.pk)
    assert concern.status == ConcernStatus.CLOSED
    steps = list(concern.steps.values_list("status", "outcome", "made_by_organisation", "reasons"))
    assert steps == [
        (ConcernStatus.ASSESSED, "", cqc.pk, "Mortality is 30% above the expected range."),
        (ConcernStatus.OUTCOME, ConcernOutcome.MONITOR, cqc.pk, "Watch the monthly data."),
        (ConcernStatus.CLOSED, "", cqc.pk, "Six months of data within the range."),
    ]
    events = AuditEvent.objects.filter(target_id=str(concern.pk), verb__startswith="concern.").order_by("pk")
    verbs = list(events.values_list("verb", flat=True))
    assert verbs == ["concern.raised", "concern.assessed", "concern.outcome_decided", "concern.closed"]


def test_an_outcome_may_change_before_the_concern_closes(concern: Concern, inspector: User, regulator: User) -> None:
    concern = _decided(concern, inspector, regulator)
    concern_outcome_decide(
        actor=regulator, concern=concern, outcome=ConcernOutcome.ENFORCEMENT, reasons="No improvement."
    )
    assert Concern.objects.get(pk=concern.pk).outcome == ConcernOutcome.ENFORCEMENT


@pytest.mark.parametrize(
    ("status", "step"),
    [
        (ConcernStatus.RECEIVED, "outcome"),
        (ConcernStatus.RECEIVED, "close"),
        (ConcernStatus.ASSESSED, "assess"),
        (ConcernStatus.ASSESSED, "close"),
        (ConcernStatus.CLOSED, "assess"),
        (ConcernStatus.CLOSED, "outcome"),
        (ConcernStatus.CLOSED, "close"),
    ],
)
def test_a_step_out_of_order_is_refused_and_changes_nothing(
    concern: Concern, regulator: User, status: str, step: str
) -> None:
    Concern.objects.filter(pk=concern.pk).update(status=status)
    concern = Concern.objects.get(pk=concern.pk)
    take = {
        "assess": lambda: concern_assess(actor=regulator, concern=concern, reasons="Looked."),
        "outcome": lambda: concern_outcome_decide(
            actor=regulator, concern=concern, outcome=ConcernOutcome.MONITOR, reasons="Watch."
        ),
        "close": lambda: concern_close(actor=regulator, concern=concern, reasons="Done."),
    }[step]
    with pytest.raises(TransitionNotAllowed):
        take()
    assert Concern.objects.get(pk=concern.pk).status == status
    assert not ConcernStep.objects.exists()


def test_a_concern_in_a_case_can_be_closed(
    concern: Concern, regulator: User, provider: Organisation, oversight_lead: User
) -> None:
    propose(regulator, provider, concern)
    concern = Concern.objects.get(pk=concern.pk)
    assert concern.status == ConcernStatus.IN_CASE
    concern_close(actor=oversight_lead, concern=concern, reasons="The case's review takes it on.")
    assert Concern.objects.get(pk=concern.pk).status == ConcernStatus.CLOSED


def test_a_case_may_be_proposed_from_an_assessed_concern(
    concern: Concern, inspector: User, regulator: User, provider: Organisation
) -> None:
    concern = _assessed(concern, inspector)
    propose(regulator, provider, concern)
    assert Concern.objects.get(pk=concern.pk).status == ConcernStatus.IN_CASE


# --- Bad input --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"outcome": "", "reasons": "Watch."}, "outcome"),
        ({"outcome": "shrug", "reasons": "Watch."}, "outcome"),
        ({"outcome": ConcernOutcome.REFER, "reasons": "Fitness to practise.", "referred_to": " "}, "referred_to"),
        ({"outcome": ConcernOutcome.MONITOR, "reasons": "  "}, "reasons"),
        ({"outcome": ConcernOutcome.MONITOR, "reasons": "x" * 5001}, "reasons"),
    ],
)
def test_an_outcome_without_what_it_needs_is_refused(
    concern: Concern, inspector: User, regulator: User, fields: dict[str, str], field: str
) -> None:
    concern = _assessed(concern, inspector)
    with pytest.raises(ValidationError) as error:
        concern_outcome_decide(actor=regulator, concern=concern, **fields)  # type: ignore[arg-type]
    assert field in error.value.message_dict
    assert Concern.objects.get(pk=concern.pk).status == ConcernStatus.ASSESSED


def test_a_referral_names_the_body(concern: Concern, inspector: User, regulator: User) -> None:
    concern = _assessed(concern, inspector)
    step = concern_outcome_decide(
        actor=regulator,
        concern=concern,
        outcome=ConcernOutcome.REFER,
        reasons="A doctor's fitness to practise.",
        referred_to=" General Medical Council ",
    )
    assert step.referred_to == "General Medical Council"


# --- Who may --------------------------------------------------------------------------------------------------


def test_an_inspector_assesses_but_does_not_decide(concern: Concern, inspector: User) -> None:
    concern = _assessed(concern, inspector)
    with pytest.raises(PermissionDenied):
        concern_outcome_decide(actor=inspector, concern=concern, outcome=ConcernOutcome.MONITOR, reasons="Watch.")


def test_the_providers_oversight_body_handles_it(concern: Concern, oversight_lead: User, monitor: Organisation) -> None:
    step = concern_assess(actor=oversight_lead, concern=concern, reasons="The board's own review agrees.")
    assert step.made_by_organisation == monitor


@pytest.mark.parametrize("who", ["trust_manager", "national", "other_oversight_lead"])
def test_anyone_else_is_refused(concern: Concern, request: pytest.FixtureRequest, who: str) -> None:
    """The provider never handles a concern about itself; national oversight acts through cases; another
    oversight body does not handle a concern about a provider it does not oversee."""
    if who == "other_oversight_lead":
        body = OrganisationFactory.create(name="Elsewhere Body", ods_code="ELS", kind=OrganisationKind.OVERSIGHT_BODY)
        actor = member(body, Role.OVERSIGHT_LEAD)
    else:
        actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        concern_assess(actor=actor, concern=concern, reasons="Looked.")
    assert step_organisations(actor, concern, ConcernStatus.ASSESSED) == []
    assert not ConcernStep.objects.exists()


def test_someone_handling_it_for_two_organisations_says_which(
    concern: Concern, oversight_lead: User, cqc: Organisation, monitor: Organisation
) -> None:
    membership_create(actor=None, user=oversight_lead, organisation=cqc, role=Role.INSPECTOR)
    assert step_organisations(oversight_lead, concern, ConcernStatus.ASSESSED) == [cqc, monitor]
    with pytest.raises(ValidationError) as error:
        concern_assess(actor=oversight_lead, concern=concern, reasons="Looked.")
    assert "acting_for" in error.value.message_dict
    step = concern_assess(actor=oversight_lead, concern=concern, reasons="Looked.", organisation=monitor)
    assert step.made_by_organisation == monitor


# --- Pages and API ----------------------------------------------------------------------------------------------


def test_the_page_offers_each_step_in_turn(
    client_for: ClientFor, concern: Concern, inspector: User, regulator: User
) -> None:
    page = client_for(regulator)
    detail = reverse("regime:concern-detail", args=[concern.pk])
    assert "Record the assessment" in page.get(detail).content.decode()
    refused = page.post(reverse("regime:concern-assess", args=[concern.pk]), {"reasons": ""})
    assert refused.status_code == 400 and "Enter the reasons" in refused.content.decode()
    assert page.post(reverse("regime:concern-assess", args=[concern.pk]), {"reasons": "Looked."}).status_code == 302
    body = page.get(detail).content.decode()
    assert "Decide the outcome" in body and "Record the assessment" not in body
    decided = page.post(
        reverse("regime:concern-outcome", args=[concern.pk]),
        {"outcome": ConcernOutcome.NO_FURTHER_ACTION, "reasons": "Explained by case mix."},
    )
    assert decided.status_code == 302
    closed = page.post(reverse("regime:concern-close", args=[concern.pk]), {"reasons": "Nothing further to do."})
    assert closed.status_code == 302
    body = page.get(detail).content.decode()
    assert "Explained by case mix." in body and "Close the concern" not in body
    assert Concern.objects.get(pk=concern.pk).status == ConcernStatus.CLOSED
    # The inspector sees the history but, once closed, is offered nothing.
    assert "Record the assessment" not in client_for(inspector).get(detail).content.decode()


def test_the_page_refuses_a_step_someone_may_not_take(
    client_for: ClientFor, concern: Concern, inspector: User, trust_manager: User
) -> None:
    """A step the person may not take answers 403 (the page offers none); a concern they may not see, 404."""
    _assessed(concern, inspector)
    assert (
        client_for(inspector)
        .post(reverse("regime:concern-outcome", args=[concern.pk]), {"outcome": "monitor", "reasons": "Watch."})
        .status_code
        == 403
    )
    assert Concern.objects.get(pk=concern.pk).status == ConcernStatus.ASSESSED
    hidden = client_for(trust_manager).post(reverse("regime:concern-assess", args=[concern.pk]), {"reasons": "x"})
    assert hidden.status_code == 404


def test_the_api_takes_the_steps(api_client_for: ApiFor, concern: Concern, regulator: User, inspector: User) -> None:
    api = api_client_for(regulator)
    url = f"/api/v1/concerns/{concern.pk}/"
    assert api.post(f"{url}assess/", {"reasons": ""}, format="json").status_code == 400
    assessed = api.post(f"{url}assess/", {"reasons": "Looked."}, format="json")
    assert assessed.status_code == 200 and assessed.json()["status"] == "assessed"
    assert api.post(f"{url}assess/", {"reasons": "Again."}, format="json").status_code == 409
    referral = api.post(f"{url}outcome/", {"outcome": "refer", "reasons": "Fitness to practise."}, format="json")
    assert referral.status_code == 400 and "referred_to" in referral.json()["errors"]
    decided = api.post(
        f"{url}outcome/",
        {"outcome": "refer", "referred_to": "General Medical Council", "reasons": "Fitness to practise."},
        format="json",
    )
    assert decided.status_code == 200
    assert decided.json()["steps"][-1]["referred_to"] == "General Medical Council"
    assert api_client_for(inspector).post(f"{url}close/", {"reasons": "Done."}, format="json").status_code == 403
    closed = api.post(f"{url}close/", {"reasons": "Referred on."}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


# --- Concurrency ------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_people_assessing_at_once_record_it_once(concern: Concern, inspector: User, regulator: User) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL.")
    outcomes: list[str] = []

    def assess(actor: User) -> None:
        try:
            concern_assess(actor=actor, concern=concern, reasons=f"Assessed by {actor.full_name}.")
            outcomes.append("done")
        except TransitionNotAllowed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=assess, args=(actor,)) for actor in (inspector, regulator)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["done", "refused"]
    assert ConcernStep.objects.filter(concern=concern).count() == 1


# --- Who is told ------------------------------------------------------------------------------------------------


def _waiting(user: User) -> list[str]:
    return [item.kind for item in work_for_user(user=user) if item.group == CONCERNS]


def test_the_next_step_is_on_the_home_page_of_those_who_take_it(
    concern: Concern, inspector: User, regulator: User, oversight_lead: User, trust_manager: User, national: User
) -> None:
    """CQC recorded ``concern``: its inspectors and decision-makers assess it, its decision-makers decide; the
    oversight body, the provider and national oversight are not asked."""
    assert _waiting(inspector) == _waiting(regulator) == ["Assess the concern"]
    assert _waiting(oversight_lead) == _waiting(trust_manager) == _waiting(national) == []
    _assessed(concern, inspector)
    assert (_waiting(inspector), _waiting(regulator)) == ([], ["Decide the outcome"])
    concern_outcome_decide(actor=regulator, concern=concern, outcome=ConcernOutcome.MONITOR, reasons="Watch.")
    assert _waiting(regulator) == []


def test_a_providers_own_report_waits_for_cqc_and_its_oversight_body(
    trust_manager: User, provider: Organisation, inspector: User, oversight_lead: User, other_provider: Organisation
) -> None:
    concern_report_own(actor=trust_manager, organisation=provider, summary="Theatre lists overrun.")
    assert _waiting(inspector) == _waiting(oversight_lead) == ["Assess the concern"]
    assert _waiting(trust_manager) == []
    body = OrganisationFactory.create(name="Elsewhere Body", ods_code="ELS", kind=OrganisationKind.OVERSIGHT_BODY)
    assert _waiting(member(body, Role.OVERSIGHT_LEAD)) == []
