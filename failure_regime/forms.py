"""Forms of the regime's staff pages. They parse and validate input; services make the decisions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.form_errors import NHSForm
from accounts.limits import max_length_of
from accounts.models import Organisation, User
from failure_regime.models import (
    STAFF_CONCERN_SOURCES,
    Action,
    ActionStatus,
    Area,
    Basis,
    Case,
    ClosureReason,
    Concern,
    Decision,
    Delivery,
    EnforcementAction,
    EnforcementKind,
    EnforcementOutcome,
    Extension,
    Handover,
    Inspection,
    MonthlyReport,
    NotificationEvent,
    Rag,
    Rating,
    Recommendation,
    ReportActionStatus,
    Severity,
    SignOff,
    TermsOfReference,
)
from failure_regime.models.notifications import STATUTORY_EVENTS
from failure_regime.uploads import EVIDENCE_TYPES, check_upload


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files at once; each is checked for its real type and size."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        files = [single(item, initial) for item in data] if isinstance(data, list | tuple) else [single(data, initial)]
        files = [f for f in files if f]
        errors = []
        for upload in files:
            try:
                check_upload(upload)
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return files


EVIDENCE_HINT = (
    "Optional. " + ", ".join(t.label for t in EVIDENCE_TYPES) + " files, up to 20 MB each. "
    "You can choose more than one."
)


class ActingForm(NHSForm):
    """A form for work a person does for one of their organisations. The view passes the organisations that may do
    it (``permissions.acting_choices``): with more than one, the form asks which (``acting_for``, first); with one,
    it asks nothing. ``chosen_organisation`` is what the view hands to ``permissions.acting_for``."""

    def __init__(self, *args: Any, acting: Sequence[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(acting) > 1:
            self.fields = {
                "acting_for": forms.ModelChoiceField(
                    queryset=Organisation.objects.filter(pk__in=[organisation.pk for organisation in acting]),
                    widget=forms.RadioSelect,
                    empty_label=None,
                    label="Which organisation are you doing this for?",
                    error_messages={"required": "Choose which organisation you are doing this for"},
                ),
                **self.fields,
            }

    @property
    def chosen_organisation(self) -> Organisation | None:
        return self.cleaned_data.get("acting_for") if self.is_bound else None


class DecidingForm(ActingForm):
    """A form for deciding special measures. The view offers, as ``acting``, the regulators where the person is a
    decision-maker (``permissions.deciding_regulators``): the choice matters only for a provider CQC alone regulates
    (a trust's oversight body decides for it), so it is asked only of someone at more than one, and may be left
    out for a trust."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "acting_for" in self.fields:
            self.fields["acting_for"].required = False
            self.fields["acting_for"].label = "Which regulator are you deciding for?"
            self.fields["acting_for"].help_text = "Only for a provider that CQC alone regulates."


class ConcernForm(ActingForm):
    provider = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label="Provider", empty_label="Choose a provider"
    )
    source = forms.ChoiceField(
        choices=STAFF_CONCERN_SOURCES,
        widget=forms.RadioSelect,
        label="Where did it come from?",
        error_messages={"required": "Choose where the concern came from"},
    )
    severity = forms.ChoiceField(
        choices=Severity.choices,
        widget=forms.RadioSelect,
        initial=Severity.ROUTINE,
        label="How urgent is it?",
        help_text="An immediate concern gives the parties 24 hours to decide on a case.",
        error_messages={"required": "Choose how urgent the concern is"},
    )
    summary = forms.CharField(
        max_length=max_length_of(Concern, "summary"),
        widget=forms.Textarea(attrs={"rows": 6}),
        label="What is the concern?",
        error_messages={"required": "Enter what the concern is"},
    )
    evidence = MultipleFileField(required=False, label="Evidence", help_text=EVIDENCE_HINT)

    def __init__(self, *args: Any, providers: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers  # type: ignore[attr-defined]


class EvidenceForm(ActingForm):
    evidence = MultipleFileField(label="Add evidence", help_text=EVIDENCE_HINT)


class CaseForm(ActingForm):
    concerns = forms.ModelMultipleChoiceField(
        queryset=Concern.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Concerns that lead to this case",
        error_messages={"required": "Choose at least one concern."},
    )
    title = forms.CharField(max_length=200, label="Title")
    summary = forms.CharField(
        max_length=max_length_of(Case, "summary"), widget=forms.Textarea(attrs={"rows": 4}), label="Summary"
    )
    scope = forms.CharField(
        max_length=max_length_of(Case, "scope"),
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Scope",
        help_text="Which services, which years, which patients.",
    )
    terms_of_reference = forms.CharField(
        max_length=max_length_of(TermsOfReference, "text"),
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Terms of reference",
    )

    def __init__(self, *args: Any, concerns: QuerySet[Concern], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["concerns"].queryset = concerns  # type: ignore[attr-defined]
        self.fields["concerns"].label_from_instance = (  # type: ignore[attr-defined]
            lambda c: f"{c.get_severity_display()} – {c.get_source_display()}: {c.summary[:80]}"
        )


class PartyForm(NHSForm):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label="Organisation to add", empty_label="Choose an organisation"
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]


class SignOffForm(NHSForm):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        choices=[(Decision.AGREE, "Agree to trigger the case"), (Decision.OBJECT, "Object")],
        widget=forms.RadioSelect,
        label="Your organisation's decision",
    )
    reason = forms.CharField(
        max_length=max_length_of(SignOff, "reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Reasons",
        help_text="Needed if you object.",
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        field.queryset = Organisation.objects.filter(pk__in=[o.pk for o in organisations])  # type: ignore[attr-defined]
        if len(organisations) > 1:
            field.widget = forms.Select(choices=[(o.pk, o.name) for o in organisations])
            field.label = "Deciding for"


class WithdrawForm(NHSForm):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), widget=forms.HiddenInput)
    reason = forms.CharField(
        max_length=max_length_of(SignOff, "withdrawal_reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why is the decision withdrawn?",
        error_messages={"required": "Enter why the decision is withdrawn"},
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            pk__in=[o.pk for o in organisations]
        )


class LeadChoiceField(forms.ModelChoiceField):
    """People, each shown with where they work on the case: "Name (Organisation, role)". The candidates carry
    their memberships of the case's parties as ``party_memberships`` (see ``selectors.lead_candidates``)."""

    def label_from_instance(self, obj: Any) -> str:
        where = "; ".join(
            f"{membership.organisation.name}, {membership.get_role_display().lower()}"
            for membership in getattr(obj, "party_memberships", [])
        )
        return f"{obj.full_name} ({where})" if where else str(obj.full_name)


class LeadForm(ActingForm):
    area = forms.ChoiceField(choices=Area.choices, label="Area")
    lead = LeadChoiceField(queryset=User.objects.none(), label="Accountable lead", empty_label="Choose a person")
    reason = forms.CharField(
        max_length=max_length_of(Handover, "reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why this person?",
        error_messages={"required": "Enter why this person should be the accountable lead"},
    )

    lead_organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        label="Which party do they lead for?",
        help_text="Only if they work for more than one of the parties.",
        empty_label="The party they work for",
    )

    def __init__(self, *args: Any, candidates: QuerySet[User], parties: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = candidates  # type: ignore[attr-defined]
        self.fields["lead_organisation"].queryset = parties  # type: ignore[attr-defined]


class ResponsibilityOrganisationsForm(ActingForm):
    """Which of the case's parties are responsible for an area's work, and which are consulted on it."""

    responsible = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Responsible organisations",
        help_text="They do the work of this area. Select all that apply.",
    )
    consulted = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Consulted organisations",
        help_text="They are asked for their views before decisions in this area. Select all that apply.",
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["consulted"].queryset = organisations  # type: ignore[attr-defined]


class TermsForm(ActingForm):
    text = forms.CharField(
        max_length=max_length_of(TermsOfReference, "text"),
        widget=forms.Textarea(attrs={"rows": 8}),
        label="New terms of reference",
    )


class CloseForm(ActingForm):
    reason = forms.ChoiceField(
        choices=ClosureReason.choices,
        widget=forms.RadioSelect,
        label="Why is it closing?",
        error_messages={"required": "Choose why the case is closing"},
    )
    summary = forms.CharField(
        max_length=max_length_of(Case, "closing_summary"),
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Closing summary",
    )


class EnforcementForm(ActingForm):
    provider = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label="Provider", empty_label="Choose a provider"
    )
    kind = forms.ChoiceField(choices=EnforcementKind.choices, label="Kind of action")
    summary = forms.CharField(
        max_length=max_length_of(EnforcementAction, "summary"),
        widget=forms.Textarea(attrs={"rows": 4}),
        label="What was served",
    )
    served_on = forms.DateField(
        label="Date served",
        help_text="For example, 27 3 2026 is written 2026-03-27.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    deadline_on = forms.DateField(
        required=False,
        label="Compliance or representations deadline",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for a notice of proposal: the 28-day window for representations is set for you.",
    )

    def __init__(self, *args: Any, providers: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers  # type: ignore[attr-defined]


class OutcomeForm(NHSForm):
    outcome = forms.ChoiceField(
        choices=[c for c in EnforcementOutcome.choices if c[0] != EnforcementOutcome.PENDING],
        widget=forms.RadioSelect,
        label="Outcome",
    )
    notes = forms.CharField(
        max_length=max_length_of(EnforcementAction, "outcome_notes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Notes",
    )


# --- Special measures -------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"


class EpisodeForm(DecidingForm):
    """Entry into special measures."""

    provider = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label="Provider", empty_label="Choose a provider"
    )
    entered_on = forms.DateField(label="Date of entry", widget=DateInput)
    basis = forms.ChoiceField(choices=Basis.choices, widget=forms.RadioSelect, label="Basis of the decision")
    recommending_inspection = forms.ModelChoiceField(
        queryset=Inspection.objects.none(),
        required=False,
        label="CQC inspection it rests on",
        empty_label="None",
        help_text="Needed when CQC recommended special measures (rated inadequate overall or for being well-led), "
        "and for CQC's own decision on a GP practice or care provider (rated inadequate overall).",
    )
    improvement_director = forms.CharField(
        max_length=150,
        required=False,
        label="Improvement director",
        help_text="Their name. They become the first entry of the interventions register, where hand-overs are kept.",
    )
    buddy_trust = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), required=False, label="Partner (buddy) trust", empty_label="None"
    )

    def __init__(
        self,
        *args: Any,
        providers: QuerySet[Organisation],
        inspections: QuerySet[Inspection],
        trusts: QuerySet[Organisation],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers  # type: ignore[attr-defined]
        self.fields["recommending_inspection"].queryset = inspections  # type: ignore[attr-defined]
        self.fields["recommending_inspection"].label_from_instance = _inspection_label  # type: ignore[attr-defined]
        self.fields["buddy_trust"].queryset = trusts  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        from failure_regime.services.special_measures import placement_refusal

        data = super().clean() or {}
        if data.get("provider") is not None and data.get("entered_on") is not None:
            refusal = placement_refusal(provider=data["provider"], entered_on=data["entered_on"])
            if refusal:
                self.add_error("provider", refusal)
        return data


class ActionForm(NHSForm):
    reference = forms.CharField(max_length=20, label="Reference", help_text="For example, A1.")
    description = forms.CharField(
        max_length=max_length_of(Action, "description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What will be done",
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="Owner", empty_label="No named owner"
    )
    due_on = forms.DateField(
        label="Due by", widget=DateInput, error_messages={"required": "Enter the date the action is due by"}
    )
    status = forms.ChoiceField(choices=ActionStatus.choices, label="Status")
    rag = forms.ChoiceField(choices=Rag.choices, widget=forms.RadioSelect, label="RAG rating")
    evidence = forms.CharField(
        max_length=max_length_of(Action, "evidence"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Evidence of progress",
    )

    def __init__(self, *args: Any, owners: QuerySet[User], editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        if editing:
            del self.fields["reference"]


class ReportForm(NHSForm):
    """The monthly report: a narrative, a status and RAG rating for every action, and evidence files."""

    narrative = forms.CharField(
        max_length=max_length_of(MonthlyReport, "narrative"),
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Progress this month",
        help_text="What has changed, what has not, and why. This is published.",
    )

    def __init__(self, *args: Any, actions: list[Action], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actions = actions
        for action in actions:
            self.fields[f"status_{action.pk}"] = forms.ChoiceField(
                choices=ActionStatus.choices,
                initial=action.status,
                label=f"{action.reference}: status",
                help_text=action.description,
                error_messages={"required": f"Choose the status of action {action.reference}"},
            )
            self.fields[f"rag_{action.pk}"] = forms.ChoiceField(
                choices=Rag.choices,
                initial=action.rag,
                widget=forms.RadioSelect,
                label=f"{action.reference}: RAG rating",
                error_messages={"required": f"Choose the RAG rating of action {action.reference}"},
            )
            self.fields[f"note_{action.pk}"] = forms.CharField(
                max_length=max_length_of(ReportActionStatus, "note"),
                required=False,
                label=f"{action.reference}: note",
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.fields["evidence"] = MultipleFileField(required=False, label="Evidence", help_text=EVIDENCE_HINT)

    def statuses(self) -> dict[int, dict[str, str]]:
        data = self.cleaned_data
        return {
            a.pk: {"status": data[f"status_{a.pk}"], "rag": data[f"rag_{a.pk}"], "note": data[f"note_{a.pk}"]}
            for a in self.actions
        }


class ReturnForm(NHSForm):
    comments = forms.CharField(
        max_length=max_length_of(MonthlyReport, "review_comments"),
        widget=forms.Textarea(attrs={"rows": 4}),
        label="What needs to change",
    )


class ScheduleForm(ActingForm):
    scheduled_for = forms.DateField(label="Re-inspection date", widget=DateInput)


def rating_field(label: str, choices: list[tuple[str, str]]) -> forms.ChoiceField:
    """A rating of one of CQC's key questions, or the overall rating, chosen from a list."""
    message = "Choose the overall rating" if label.startswith("Overall") else f"Choose the rating for {label.lower()}"
    return forms.ChoiceField(choices=choices, label=label, error_messages={"required": message})


class RatingsForm(ActingForm):
    carried_out_on = forms.DateField(label="Date of the inspection", widget=DateInput)
    safe = rating_field("Safe", Rating.choices)
    effective = rating_field("Effective", Rating.choices)
    caring = rating_field("Caring", Rating.choices)
    responsive = rating_field("Responsive", Rating.choices)
    well_led = rating_field("Well-led", Rating.choices)
    overall = rating_field("Overall", Rating.choices)


class OutcomeChoice(NHSForm):
    """The outcome after re-inspection: exit, an extension within the cap, or (for providers CQC alone
    regulates) a proposal to cancel registration, then the registration decision."""

    outcome = forms.ChoiceField(widget=forms.RadioSelect, label="Outcome")
    inspection = forms.ModelChoiceField(
        queryset=Inspection.objects.none(), required=False, label="Re-inspection this is based on", empty_label="Choose"
    )
    until = forms.DateField(required=False, label="Extended until", widget=DateInput)
    # The reason of an extension, or the summary of a proposal to cancel registration: the shorter limit of the two.
    reason = forms.CharField(
        max_length=min(max_length_of(Extension, "reason"), max_length_of(EnforcementAction, "summary")),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Reason or summary",
    )

    def __init__(
        self, *args: Any, choices: list[tuple[str, str]], inspections: QuerySet[Inspection], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = choices  # type: ignore[attr-defined]
        self.fields["inspection"].queryset = inspections  # type: ignore[attr-defined]


class NotificationPreferencesForm(NHSForm):
    """How a person hears of each kind of event they may turn down; statutory ones are not offered."""

    def __init__(self, *args: Any, current: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for event in NotificationEvent:
            if event.value in STATUTORY_EVENTS:
                continue
            self.fields[event.value] = forms.ChoiceField(
                label=event.label,
                choices=Delivery.choices,
                initial=current.get(event.value, Delivery.IMMEDIATE),
                widget=forms.RadioSelect,
                required=False,  # one left out keeps what it was
            )

    def choices(self) -> dict[str, str]:
        return {event: delivery for event, delivery in self.cleaned_data.items() if delivery}


RATING_CHOICES = [("", "Choose a rating"), *Rating.choices]


class InspectionForm(ActingForm):
    """CQC's inspection of any provider. The services check the dates and the report's address."""

    provider = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label="Provider", empty_label="Choose a provider"
    )
    carried_out_on = forms.DateField(label="Date the inspection was carried out", widget=DateInput)
    safe = rating_field("Safe", RATING_CHOICES)
    effective = rating_field("Effective", RATING_CHOICES)
    caring = rating_field("Caring", RATING_CHOICES)
    responsive = rating_field("Responsive", RATING_CHOICES)
    well_led = rating_field("Well-led", RATING_CHOICES)
    overall = rating_field("Overall rating", RATING_CHOICES)
    report_reference = forms.CharField(
        max_length=40, required=False, label="Report reference", help_text="Leave empty until the report is published."
    )
    report_url = forms.CharField(
        max_length=500, required=False, label="Report web address", help_text="Starting with https://"
    )
    published_on = forms.DateField(required=False, label="Date the report was published", widget=DateInput)

    def __init__(self, *args: Any, providers: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers  # type: ignore[attr-defined]

    def ratings(self) -> dict[str, str]:
        return {q: self.cleaned_data[q] for q in ("safe", "effective", "caring", "responsive", "well_led", "overall")}


class PublicationForm(ActingForm):
    report_reference = forms.CharField(max_length=40, label="Report reference")
    report_url = forms.CharField(max_length=500, label="Report web address", help_text="Starting with https://")
    published_on = forms.DateField(label="Date the report was published", widget=DateInput)


class RecommendationForm(ActingForm):
    inspection = forms.ModelChoiceField(
        queryset=Inspection.objects.none(),
        label="Inspection",
        empty_label="Choose the inspection",
        help_text="Only inspections that rated a trust inadequate overall or for being well-led are offered.",
    )
    reasons = forms.CharField(
        max_length=max_length_of(Recommendation, "reasons"),
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Why CQC recommends special measures",
    )

    def __init__(self, *args: Any, inspections: QuerySet[Inspection], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["inspection"].queryset = inspections  # type: ignore[attr-defined]
        self.fields["inspection"].label_from_instance = _inspection_label  # type: ignore[attr-defined]


def _inspection_label(inspection: Inspection) -> str:
    when = f"{inspection.carried_out_on.day} {inspection.carried_out_on:%B %Y}" if inspection.carried_out_on else ""
    return (
        f"{inspection.provider.name}, inspected {when}: overall {inspection.get_overall_display().lower()}, "
        f"well-led {inspection.get_well_led_display().lower()}"
    )


class RecommendationDecisionForm(NHSForm):
    decision = forms.ChoiceField(
        choices=[
            ("place", "Place the trust in special measures"),
            ("not_place", "Do not place it in special measures"),
        ],
        widget=forms.RadioSelect,
        label="Your decision",
    )
    reasons = forms.CharField(
        max_length=max_length_of(Recommendation, "decision_reasons"),
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Reasons for the decision",
    )


class RecommendationWithdrawalForm(NHSForm):
    reasons = forms.CharField(
        max_length=max_length_of(Recommendation, "decision_reasons"),
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why CQC withdraws its recommendation",
    )
