"""Renders every Django form in the markup of the NHS.UK design system.

Forms need no per-field markup in templates: ``{{ form }}`` produces labelled, hinted fields with
error messages, and ``includes/error_summary.html`` the summary at the top of the page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting
from django.forms.widgets import Input

_WIDGET_CLASSES: list[tuple[type[forms.Widget], str]] = [
    (forms.Textarea, "nhsuk-textarea"),
    (forms.Select, "nhsuk-select"),
    (forms.CheckboxInput, "nhsuk-checkboxes__input"),
    (forms.FileInput, "nhsuk-file-upload__input"),
    (Input, "nhsuk-input"),
]


class NHSBoundField(BoundField):
    """Adds the design system's classes, and error and hint references, to each widget."""

    def build_widget_attrs(self, attrs: dict[str, Any], widget: forms.Widget | None = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            return attrs
        for widget_class, css_class in _WIDGET_CLASSES:
            if isinstance(widget, widget_class):
                classes = [css_class, str(attrs.get("class", ""))]
                if self.errors and not isinstance(widget, forms.CheckboxInput):
                    classes.append(f"{css_class.split('__')[0]}--error")
                attrs["class"] = " ".join(c for c in classes if c)
                break
        described_by = str(attrs.get("aria-describedby", "")).split()
        # Django adds the error's id itself from 5.2 on; add it only where it has not.
        if self.errors and f"{self.auto_id}_error" not in described_by:
            described_by.append(f"{self.auto_id}_error")
        if any(described_by):
            attrs["aria-describedby"] = " ".join(d for d in described_by if d)
        return attrs

    @property
    def error_anchor(self) -> str:
        """The id the error summary links to: the first input of a group of radios or checkboxes."""
        widget = self.field.widget
        if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            return f"{self.auto_id}_0"
        return str(self.auto_id)


class NHSFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
    bound_field_class = NHSBoundField
