from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.errors import TransitionNotAllowed
from accounts.models import AuditEvent, Organisation, User
from failure_regime.models import Area, Case, CaseStatus, ClosureReason, Concern, ConcernStatus
from failure_regime.services.accountability import lead_hand_over, responsibility_organisations_set
from failure_regime.services.cases import case_activate, case_close, case_terms_revise
from failure_regime.services.concerns import concern_raise
from tests.factories import sole_organisation
from tests.failure_regime.conftest import propose
from tests.failure_regime.test_sign_off import everyone_agrees

pytestmark = pytest.mark.django_db


@pytest.fixture
def triggered(case: Case, regulator: User, oversight_lead: User, sign_off_officer: User) -> Case:
    everyone_agrees(case, regulator, oversight_lead, sign_off_officer)
    case.refresh_from_db()
    return case


def appoint_all(case: Case, actor: User, lead: User) -> None:
    organisation = lead.memberships.get().organisation
    for area in Area:
        lead_hand_over(actor=actor, case=case, area=area, lead=lead, organisation=organisation, reason="Named by board")


def test_every_mandatory_area_starts_without_a_lead(case: Case) -> None:
    assert sorted(case.responsibilities.filter(lead__isnull=True).values_list("area", flat=True)) == sorted(Area.values)


def test_it_cannot_go_active_while_an_area_has_no_lead(triggered: Case, regulator: User) -> None:
    lead_hand_over(
        actor=regulator,
        case=triggered,
        area=Area.INVESTIGATION,
        lead=regulator,
        organisation=regulator.memberships.get().organisation,
        reason="Most senior",
    )
    with pytest.raises(TransitionNotAllowed, match="Expert recruitment"):
        case_activate(actor=regulator, case=triggered)


def test_it_goes_active_when_every_area_has_a_lead(triggered: Case, regulator: User) -> None:
    appoint_all(triggered, regulator, regulator)
    case = case_activate(actor=regulator, case=triggered)
    assert case.status == CaseStatus.ACTIVE
    assert AuditEvent.objects.filter(verb="case.activated", target_id=str(case.pk)).count() == 1


def test_a_proposed_case_cannot_go_active(case: Case, regulator: User) -> None:
    appoint_all(case, regulator, regulator)
    with pytest.raises(TransitionNotAllowed):
        case_activate(actor=regulator, case=case)


def test_a_trust_manager_cannot_activate(triggered: Case, regulator: User, trust_manager: User) -> None:
    appoint_all(triggered, regulator, regulator)
    with pytest.raises(PermissionDenied):
        case_activate(actor=trust_manager, case=triggered)


def test_a_hand_over_records_from_whom_to_whom_and_why(triggered: Case, regulator: User, oversight_lead: User) -> None:
    cqc, monitor = regulator.memberships.get().organisation, oversight_lead.memberships.get().organisation
    lead_hand_over(
        actor=regulator, case=triggered, area=Area.OVERSIGHT, lead=regulator, organisation=cqc, reason="First"
    )
    handover = lead_hand_over(
        actor=regulator,
        case=triggered,
        area=Area.OVERSIGHT,
        lead=oversight_lead,
        organisation=monitor,
        reason="Monitor takes over oversight",
    )
    assert (handover.from_lead, handover.to_lead, handover.reason) == (
        regulator,
        oversight_lead,
        "Monitor takes over oversight",
    )


def test_a_hand_over_is_audited_on_the_case(triggered: Case, regulator: User, oversight_lead: User) -> None:
    monitor = oversight_lead.memberships.get().organisation
    lead_hand_over(
        actor=regulator,
        case=triggered,
        area=Area.OVERSIGHT,
        lead=oversight_lead,
        organisation=monitor,
        reason="Overseer",
    )
    event = AuditEvent.objects.get(verb="case.lead_handed_over", scope_id=str(triggered.pk))
    assert (event.before["lead"], event.after["lead"]) == (None, oversight_lead.email)


def test_there_is_one_lead_per_area_at_a_time(triggered: Case, regulator: User, oversight_lead: User) -> None:
    monitor = oversight_lead.memberships.get().organisation
    lead_hand_over(
        actor=regulator,
        case=triggered,
        area=Area.OVERSIGHT,
        lead=regulator,
        organisation=regulator.memberships.get().organisation,
        reason="First",
    )
    lead_hand_over(
        actor=regulator, case=triggered, area=Area.OVERSIGHT, lead=oversight_lead, organisation=monitor, reason="Second"
    )
    assert list(triggered.responsibilities.filter(area=Area.OVERSIGHT).values_list("lead", flat=True)) == [
        oversight_lead.pk
    ]


def test_a_lead_must_belong_to_the_named_organisation(
    triggered: Case, regulator: User, trust_manager: User, monitor: Organisation
) -> None:
    with pytest.raises(ValidationError) as error:
        lead_hand_over(
            actor=regulator,
            case=triggered,
            area=Area.OVERSIGHT,
            lead=trust_manager,
            organisation=monitor,
            reason="Wrong organisation",
        )
    assert "lead" in error.value.message_dict


def test_a_hand_over_needs_a_reason(triggered: Case, regulator: User) -> None:
    with pytest.raises(ValidationError):
        lead_hand_over(
            actor=regulator,
            case=triggered,
            area=Area.OVERSIGHT,
            lead=regulator,
            organisation=regulator.memberships.get().organisation,
            reason=" ",
        )


def test_a_non_party_overseer_cannot_appoint(triggered: Case, other_trust_manager: User) -> None:
    with pytest.raises(PermissionDenied):
        lead_hand_over(
            actor=other_trust_manager,
            case=triggered,
            area=Area.OVERSIGHT,
            lead=other_trust_manager,
            organisation=other_trust_manager.memberships.get().organisation,
            reason="Me",
        )


def test_national_oversight_may_appoint(triggered: Case, national: User, regulator: User) -> None:
    lead_hand_over(
        actor=national,
        case=triggered,
        area=Area.OVERSIGHT,
        lead=regulator,
        organisation=regulator.memberships.get().organisation,
        reason="Nationally agreed",
    )
    assert triggered.responsibilities.get(area=Area.OVERSIGHT).lead == regulator


def test_responsible_and_consulted_organisations_are_recorded(
    triggered: Case, regulator: User, provider: Organisation, monitor: Organisation
) -> None:
    responsibility = responsibility_organisations_set(
        actor=regulator, case=triggered, area=Area.FAMILY_SUPPORT, responsible=[provider], consulted=[monitor]
    )
    assert (list(responsibility.responsible.all()), list(responsibility.consulted.all())) == ([provider], [monitor])


def test_closing_records_reason_and_summary(triggered: Case, regulator: User) -> None:
    case = case_close(actor=regulator, case=triggered, reason=ClosureReason.COMPLETED, summary="All done.")
    assert (case.status, case.closure_reason, case.closing_summary) == (CaseStatus.CLOSED, "completed", "All done.")


def test_a_closed_case_cannot_reopen(triggered: Case, regulator: User) -> None:
    case_close(actor=regulator, case=triggered, reason=ClosureReason.COMPLETED, summary="Done.")
    with pytest.raises(TransitionNotAllowed):
        case_activate(actor=regulator, case=triggered)


def test_closing_needs_a_summary(triggered: Case, regulator: User) -> None:
    with pytest.raises(ValidationError) as error:
        case_close(actor=regulator, case=triggered, reason=ClosureReason.COMPLETED, summary="")
    assert "summary" in error.value.message_dict


def test_every_terms_of_reference_version_is_kept(case: Case, regulator: User) -> None:
    case_terms_revise(actor=regulator, case=case, text="Wider terms.")
    assert list(case.terms_versions.order_by("version").values_list("version", "text")) == [
        (1, "Review every case of harm since 2019."),
        (2, "Wider terms."),
    ]


def test_status_cannot_be_written_through_the_model_form_fields() -> None:
    assert not Case._meta.get_field("status").editable


def test_a_case_needs_a_concern_about_its_provider(
    regulator: User, inspector: User, other_provider: Organisation, concern: Concern
) -> None:
    with pytest.raises(ValidationError) as error:
        propose(regulator, other_provider, concern)
    assert "concerns" in error.value.message_dict


def test_a_trust_manager_cannot_propose(trust_manager: User, provider: Organisation, concern: Concern) -> None:
    with pytest.raises(PermissionDenied):
        propose(trust_manager, provider, concern)


def test_proposing_puts_the_concern_in_the_case(case: Case, concern: Concern) -> None:
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.IN_CASE


def test_a_provider_cannot_record_a_concern(trust_manager: User, provider: Organisation) -> None:
    with pytest.raises(PermissionDenied):
        concern_raise(
            actor=trust_manager,
            organisation=sole_organisation(trust_manager),
            provider=provider,
            source="other",
            summary="About ourselves",
        )


def test_a_lead_must_come_from_a_party(triggered: Case, regulator: User, other_trust_manager: User) -> None:
    with pytest.raises(ValidationError) as error:
        lead_hand_over(
            actor=regulator,
            case=triggered,
            area=Area.OVERSIGHT,
            lead=other_trust_manager,
            organisation=other_trust_manager.memberships.get().organisation,
            reason="Outsider",
        )
    assert "organisation" in error.value.message_dict


def test_a_commissioners_oversight_lead_cannot_propose(provider: Organisation, concern: Concern) -> None:
    from accounts.models import OrganisationKind, Role
    from tests.factories import OrganisationFactory, member

    commissioner = member(OrganisationFactory.create(kind=OrganisationKind.COMMISSIONER), Role.OVERSIGHT_LEAD)
    with pytest.raises(PermissionDenied):
        propose(commissioner, provider, concern)


def test_a_new_oversight_body_sees_the_providers_concerns_at_once(
    concern: Concern, provider: Organisation, oversight_lead: User, nhs_england: Organisation
) -> None:
    from accounts.models import Role
    from accounts.services import organisation_update
    from failure_regime.selectors import concern_list_for_user
    from tests.factories import member

    new_lead = member(nhs_england, Role.OVERSIGHT_LEAD)
    organisation_update(
        actor=None, organisation=provider, name=provider.name, region=provider.region, oversight_body=nhs_england
    )
    assert (list(concern_list_for_user(user=new_lead)), list(concern_list_for_user(user=oversight_lead))) == (
        [concern],
        [],
    )
