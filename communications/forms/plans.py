"""Forms of communications plans: the plan itself (objectives, key messages, audiences with their needs) and its
scheduled items."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.boundfield import BoundField

from accounts.limits import max_length_of
from accounts.models import User
from communications.models import Audience, Channel, CommunicationsPlan, Notice, PlanAudience, PlanItem
from failure_regime.forms import ActingForm


def _needs_field(audience: str) -> str:
    return f"needs_{audience}"


class PlanForm(ActingForm):
    objectives = forms.CharField(
        max_length=max_length_of(CommunicationsPlan, "objectives"),
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Objectives",
        help_text="What the communications must achieve.",
    )
    key_messages = forms.CharField(
        max_length=max_length_of(CommunicationsPlan, "key_messages"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Key messages",
        help_text="The messages every item should carry, one a line.",
    )
    audiences = forms.MultipleChoiceField(
        choices=Audience.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Audiences",
        help_text="Who the plan must reach.",
        error_messages={"required": "Choose at least one audience."},
    )

    def __init__(self, *args: Any, plan: CommunicationsPlan | None = None, **kwargs: Any) -> None:
        if plan is not None and "initial" not in kwargs:
            audiences = list(plan.audiences.all())
            kwargs["initial"] = {
                "objectives": plan.objectives,
                "key_messages": plan.key_messages,
                "audiences": [a.audience for a in audiences],
                **{_needs_field(a.audience): a.needs for a in audiences},
            }
        super().__init__(*args, **kwargs)
        for value, label in Audience.choices:
            self.fields[_needs_field(value)] = forms.CharField(
                max_length=max_length_of(PlanAudience, "needs"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                label=f"What {label[0].lower() + label[1:]} need",
                help_text="What they need to know, and how best to reach them.",
            )

    def main_fields(self) -> list[BoundField]:
        names = ("acting_for", "objectives", "key_messages", "audiences")
        return [self[name] for name in names if name in self.fields]

    def needs_fields(self) -> list[BoundField]:
        return [self[_needs_field(value)] for value in Audience.values]

    def audiences_with_needs(self) -> dict[str, str]:
        data = self.cleaned_data
        return {audience: data.get(_needs_field(audience), "") for audience in data["audiences"]}


class PlanItemForm(ActingForm):
    title = forms.CharField(
        max_length=200,
        label="What is it?",
        help_text="For example: briefing for local MPs.",
        error_messages={"required": "Enter what the item is, such as a briefing for local MPs"},
    )
    description = forms.CharField(
        max_length=max_length_of(PlanItem, "description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Details",
    )
    channel = forms.ChoiceField(choices=[("", "Choose a channel"), *Channel.choices], label="Channel")
    audience = forms.ChoiceField(choices=[], label="Audience")
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label="Owner", empty_label="Choose who owns it")
    due_on = forms.DateField(
        label="Due on",
        error_messages={"required": "Enter the date it is due"},
        help_text="The owner is reminded the day before and on the day. For example, 2026-03-05",
        widget=forms.DateInput(attrs={"type": "date", "class": "nhsuk-input--width-10"}),
    )
    notice = forms.ModelChoiceField(
        queryset=Notice.objects.none(),
        required=False,
        label="Notice that carries it",
        empty_label="None",
        help_text="Only for a public notice on this service.",
    )

    def __init__(
        self,
        *args: Any,
        plan: CommunicationsPlan,
        owners: QuerySet[User],
        notices: QuerySet[Notice],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        audience_field: forms.ChoiceField = self.fields["audience"]  # type: ignore[assignment]
        audience_field.choices = [("", "Choose an audience")] + [
            (a.audience, a.get_audience_display()) for a in plan.audiences.all()
        ]
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.fields["owner"].label_from_instance = lambda u: f"{u.full_name} ({u.email})"  # type: ignore[attr-defined]
        self.fields["notice"].queryset = notices  # type: ignore[attr-defined]
        self.fields["notice"].label_from_instance = (  # type: ignore[attr-defined]
            lambda n: f"{n.get_kind_display()} {n.pk} ({n.get_status_display().lower()})"
        )
