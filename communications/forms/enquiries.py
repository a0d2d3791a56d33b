"""Forms of public enquiries: the public form (no account), the triage queue's filter (shared with the API) and
the staff forms to triage, note, answer, close and refer. The services check the rules and give the messages."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from accounts.form_errors import NHSForm
from accounts.limits import max_length_of
from accounts.models import User
from communications.models import (
    AWAITING_RESPONSE,
    ContactMethod,
    Enquiry,
    EnquiryCategory,
    EnquiryNote,
    EnquiryStatus,
    NoteKind,
    Referral,
    Relation,
    SupportService,
    Urgency,
    enquiry_reference_normalise,
)
from failure_regime.models import Case, Concern, Severity
from reviews.models import AGE_BAND_CHOICES, ReviewRequest

# --- The public form ----------------------------------------------------------------------------------------

HONEYPOT = "website"


class EnquiryForm(NHSForm):
    """What a member of the public tells us. Every field is checked by ``enquiry_receive``, which gives the
    messages; this form only reads what was sent. ``website`` is a trap for automated spam: people never see it."""

    name = forms.CharField(label="Your name", required=False, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    relation = forms.ChoiceField(
        label="How are you connected to the patient?",
        choices=Relation.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": "Select how you are connected to the patient"},
    )
    relation_detail = forms.CharField(
        label="If you chose other, tell us how (optional)",
        required=False,
        help_text="For example, a neighbour or a colleague.",
    )
    provider_name = forms.CharField(
        label="Which hospital, GP practice or care service is it about?",
        required=False,
        help_text="Type its name or the town it is in, then select Find to choose it from the list. If it is not "
        "listed, or you are not sure, tell us what you know.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    # Chosen from the register (an ODS code), and the case whose notice the sender wrote from (its reference):
    # public identifiers only. The view checks both and ignores a value that is not one (so these are plain fields,
    # which refuse nothing: a stray byte in a hidden field must not stop the message).
    provider = forms.Field(required=False, widget=forms.HiddenInput)
    case = forms.Field(required=False, widget=forms.HiddenInput)
    worry = forms.CharField(
        label="What worries you?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Tell us what happened, who it happened to and when, and what you would like to happen next. "
        "Please do not include anyone's NHS number.",
    )
    wants_case_note_review = forms.BooleanField(
        label="I would like the care of the patient to be looked at again (a review of their care)",
        required=False,
        help_text="Independent clinicians may review the care of patients when there are concerns about a "
        "hospital or service.",
    )
    contact_method = forms.ChoiceField(
        label="How would you like us to contact you?",
        choices=[(ContactMethod.EMAIL, "Email"), (ContactMethod.PHONE, "Phone")],
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": "Select how you would like us to contact you"},
    )
    email = forms.CharField(
        label="Email address",
        required=False,
        help_text="We will send you a reference number. You need to give this if you chose email.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label="Phone number",
        required=False,
        help_text="You need to give this if you chose phone. For example, 07700 900 982.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel", "class": "nhsuk-input--width-20"}),
    )
    contact_times = forms.CharField(
        label="When is a good time to contact you? (optional)",
        required=False,
        help_text="For example, weekday mornings.",
    )
    communication_needs = forms.CharField(
        label="Do you have any communication needs? (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, an interpreter, British Sign Language, large print, easy read, or someone to "
        "speak for you.",
    )
    consent = forms.BooleanField(
        label="I agree that the family support team can keep these details and use them to help me",
        required=False,
        help_text="Only the staff who handle your message can see it. We do not publish it or share it with "
        "anyone else without asking you, unless someone is at risk of serious harm.",
    )
    website = forms.CharField(label="Leave this box empty", required=False)

    FIELDSETS = (
        ("About you", ("name", "relation", "relation_detail")),
        ("What it is about", ("provider_name", "worry", "wants_case_note_review")),
        ("How we contact you", ("contact_method", "email", "phone", "contact_times", "communication_needs")),
        ("Your agreement", ("consent",)),
    )

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]

    def is_spam(self) -> bool:
        """Whether the hidden box that people never see was filled in, as spam robots do."""
        return bool(str(self.data.get(HONEYPOT, "")).strip())

    def service_fields(self) -> dict[str, Any]:
        """What the service takes, without the identifiers the view resolves to a provider and a case."""
        data = dict(self.cleaned_data)
        for name in (HONEYPOT, "provider", "case"):
            data.pop(name, None)
        return data


# --- The triage queue's filter (pages and API) ---------------------------------------------------------------

OPEN = "open"


class EnquiryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[(OPEN, "Waiting for a response"), *EnquiryStatus.choices],
        method="filter_status",
        empty_label="Any status",
    )
    category = django_filters.ChoiceFilter(choices=EnquiryCategory.choices, empty_label="Any category")
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices, empty_label="Any urgency")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Only overdue", widget=forms.CheckboxInput)
    reference = django_filters.CharFilter(
        method="filter_reference",
        label="Reference",
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-10", "spellcheck": "false"}),
    )

    class Meta:
        model = Enquiry
        fields = ["status", "category", "urgency", "overdue", "reference"]

    def filter_status(self, queryset: QuerySet[Enquiry], name: str, value: str) -> QuerySet[Enquiry]:
        if value == OPEN:
            return queryset.filter(status__in=sorted(AWAITING_RESPONSE))
        return queryset.filter(status=value)

    def filter_overdue(self, queryset: QuerySet[Enquiry], name: str, value: bool | None) -> QuerySet[Enquiry]:
        if not value:
            return queryset
        return queryset.filter(status__in=sorted(AWAITING_RESPONSE), response_due_at__lt=timezone.now())

    def filter_reference(self, queryset: QuerySet[Enquiry], name: str, value: str) -> QuerySet[Enquiry]:
        reference = enquiry_reference_normalise(value)
        return queryset.filter(reference=reference) if reference else queryset.none()


# --- Staff forms -------------------------------------------------------------------------------------------


class CaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Case) -> str:
        return f"{obj.reference}: {obj.title} ({obj.provider.name})"


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.full_name or obj.email


class TriageForm(NHSForm):
    category = forms.ChoiceField(
        label="What is it about?",
        choices=EnquiryCategory.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what the enquiry is about"},
    )
    urgency = forms.ChoiceField(
        label="How urgent is it?",
        choices=[
            (Urgency.URGENT, "Urgent: answer the same working day"),
            (Urgency.ROUTINE, "Routine: answer within 2 working days"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select how urgent it is"},
    )
    case = CaseChoiceField(
        label="Case (optional)",
        queryset=Case.objects.none(),
        required=False,
        empty_label="Not linked to a case",
        error_messages={"invalid_choice": "Choose one of the cases listed"},
    )
    assigned_to = PersonChoiceField(
        label="Family liaison officer (optional)",
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody yet",
        error_messages={"invalid_choice": "Choose one of the officers listed"},
    )

    def __init__(self, *args: Any, cases: QuerySet[Case], officers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = cases.select_related("provider")  # type: ignore[attr-defined]
        self.fields["assigned_to"].queryset = officers  # type: ignore[attr-defined]


class NoteForm(NHSForm):
    prefix = "note"
    kind = forms.ChoiceField(
        label="What kind of note?",
        choices=NoteKind.choices,
        initial=NoteKind.NOTE,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what kind of note this is"},
    )
    text = forms.CharField(
        max_length=max_length_of(EnquiryNote, "text"),
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RespondForm(NHSForm):
    prefix = "respond"
    text = forms.CharField(
        max_length=max_length_of(EnquiryNote, "text"),
        label="How did you respond, and what did you say?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example: phoned the sender, explained the review and offered the bereavement service.",
    )


CLOSE_REASONS = [
    "The sender's questions were answered",
    "The sender was referred to a support service",
    "It repeats another enquiry",
    "We could not reach the sender",
    "It was passed to another organisation",
    "The sender asked us to stop",
]


class CloseForm(NHSForm):
    reason = forms.ChoiceField(
        label="Why is it closed?",
        choices=[(r, r) for r in CLOSE_REASONS],
        widget=forms.RadioSelect,
        error_messages={"required": "Select why the enquiry is closed"},
    )


class PassToReviewForm(NHSForm):
    prefix = "review"
    text = forms.CharField(
        max_length=max_length_of(ReviewRequest, "text"),
        label="What would the family like the review to look at?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The review team must not know who the patient is. Do not include names, NHS numbers, dates of "
        "birth or contact details: give the month and year of the care, the ward or service, and what worries "
        "the family.",
    )
    age_band = forms.ChoiceField(
        label="The patient's age at the time (optional)",
        choices=AGE_BAND_CHOICES,
        required=False,
        error_messages={"invalid_choice": "Select the patient's age band, or not known"},
    )


class RaiseConcernForm(NHSForm):
    prefix = "concern"
    summary = forms.CharField(
        max_length=max_length_of(Concern, "summary"),
        label="What is the concern about the provider's care?",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Those who assess concerns read this, and the family's details stay with the enquiry. Do not "
        "include names, NHS numbers, dates of birth or contact details.",
        error_messages={"required": "Enter what the concern is"},
    )
    severity = forms.ChoiceField(
        choices=Severity.choices,
        widget=forms.RadioSelect,
        initial=Severity.ROUTINE,
        label="How urgent is it?",
        help_text="An immediate concern must be assessed within a day.",
        error_messages={"required": "Choose how urgent the concern is"},
    )


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SupportService) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class ReferralForm(NHSForm):
    service = ServiceChoiceField(
        label="Support service",
        queryset=SupportService.objects.none(),
        empty_label="Choose a service",
        error_messages={"required": "Choose a service", "invalid_choice": "Choose one of the services listed"},
    )
    note = forms.CharField(
        max_length=max_length_of(Referral, "note"),
        label="Note (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, services: QuerySet[SupportService], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]


class DecisionForm(NHSForm):
    accepted = forms.TypedChoiceField(
        choices=[("yes", "Accepted"), ("no", "Declined")],
        coerce=lambda value: value == "yes",
        error_messages={"required": "Say whether the sender accepted the service"},
    )
