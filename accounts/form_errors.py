"""Error messages that say what to do, for every form of the service, in the NHS.UK pattern.

Django's own messages ("This field is required.", "Enter a valid date.") do not say which answer is missing
or how to put it right. Every form of the service derives from ``NHSForm``, which, just before it checks
what was sent, gives each field whose message is still Django's default one worked out from its label:
"Enter the title" for a box to type in, "Choose the provider" for a list or radios, "Confirm that ..." for a
box to tick. A field that states its own message (``error_messages={"required": ...}``) keeps it: that is
how a form says it better where the worked-out message would read badly, as it must for a label that is a
question ("How urgent is it?"). Django's messages for a badly formed e-mail address, web address, date or number,
and for an answer too long, too short, too big or too small, are replaced the same way.
"""

from __future__ import annotations

import re

from django import forms

# A label that starts with one of these words needs no "the" in front of it.
_NO_ARTICLE = frozenset(
    {
        "a",
        "an",
        "the",
        "any",
        "each",
        "every",
        "your",
        "their",
        "his",
        "her",
        "its",
        "our",
        "this",
        "these",
        "those",
        "what",
        "why",
        "how",
        "when",
        "where",
        "who",
        "which",
        "whether",
        "if",
    }
)
# A label that starts with one of these verbs is itself the instruction.
_INSTRUCTIONS = frozenset(
    {"add", "choose", "describe", "enter", "give", "name", "say", "select", "tell", "type", "upload"}
)
# What a question label with no message of its own gets ("Enter an answer to “Why?”"): a last resort, which a
# test keeps out of the service's forms.
FALLBACK_MARK = "an answer to"

_EMAIL_INVALID = "Enter an e-mail address in the right format, like name@example.org"
_URL_INVALID = "Enter a web address in the right format, like https://www.example.nhs.uk"
_DATE_INVALID = "Enter a real date"
_NUMBER_INVALID = "Enter a number, like 5"
_WHOLE_NUMBER_INVALID = "Enter a whole number, like 5"
_MIN_VALUE = "Enter a number that is %(limit_value)s or more"
_MAX_VALUE = "Enter a number that is %(limit_value)s or less"
_MAX_LENGTH = "Enter %(limit_value)d characters or fewer (you entered %(show_value)d)"
_MIN_LENGTH = "Enter at least %(limit_value)d characters (you entered %(show_value)d)"
_FILE_EMPTY = "The chosen file is empty"


def _django_defaults(field: forms.Field) -> dict[str, str]:
    """The messages Django gives ``field``'s class, as text."""
    messages: dict[str, str] = {}
    for klass in reversed(type(field).__mro__):
        messages.update({code: str(text) for code, text in getattr(klass, "default_error_messages", {}).items()})
    return messages


def _phrase(label: str) -> str:
    """The label as words inside a sentence: without "(optional)" or "(%)", and with a small first letter
    unless the first word is an abbreviation or a code (NHS, ODS, A1)."""
    text = re.sub(r"\s*\([^)]*\)\s*$", "", label).strip().rstrip(":")
    first = text.split(" ", 1)[0]
    if len(first) > 1 and (first[1].isupper() or any(c.isdigit() for c in first)):
        return text
    return text[:1].lower() + text[1:]


def _with_article(phrase: str) -> str:
    return phrase if phrase.split(" ", 1)[0].lower() in _NO_ARTICLE else f"the {phrase}"


def required_message(name: str, field: forms.Field) -> str:
    """What to tell someone who left ``field`` empty, worked out from its label (or its name if it has none)."""
    label = str(field.label or name.replace("_", " ").capitalize()).strip()
    widget = field.widget
    if isinstance(field, forms.BooleanField) or isinstance(widget, forms.CheckboxInput):
        return f"Confirm that {_phrase(label)}"
    choosing = isinstance(field, forms.ChoiceField | forms.ModelChoiceField | forms.FileField) or isinstance(
        widget, forms.Select | forms.RadioSelect | forms.CheckboxSelectMultiple
    )
    verb = "Choose" if choosing else "Enter"
    if label.endswith("?"):
        return f"{verb} {FALLBACK_MARK} “{label}”"
    phrase = _phrase(label)
    if phrase.split(" ", 1)[0] in _INSTRUCTIONS:  # "Choose a password" already says what to do
        return phrase[:1].upper() + phrase[1:]
    if isinstance(field, forms.DateField) and "date" not in phrase:
        return f"Enter the {phrase} date"
    return f"{verb} {_with_article(phrase)}"


def error_messages_for(name: str, field: forms.Field) -> dict[str, str]:
    """The messages ``field`` should give in place of Django's defaults. Messages a form set itself are left."""
    wanted: dict[str, str] = {"required": required_message(name, field)}
    if isinstance(field, forms.EmailField):
        wanted["invalid"] = _EMAIL_INVALID
    elif isinstance(field, forms.URLField):
        wanted["invalid"] = _URL_INVALID
    elif isinstance(field, forms.DateField | forms.DateTimeField):
        wanted["invalid"] = _DATE_INVALID
    elif isinstance(field, forms.DecimalField | forms.FloatField):  # both are kinds of IntegerField
        wanted["invalid"] = _NUMBER_INVALID
    elif isinstance(field, forms.IntegerField):
        wanted["invalid"] = _WHOLE_NUMBER_INVALID
    if isinstance(field, forms.FileField):
        wanted["empty"] = _FILE_EMPTY
    # Limits are checked by validators, whose message the field replaces when it has one of the same code.
    elif isinstance(field, forms.CharField):
        wanted.update({"max_length": _MAX_LENGTH, "min_length": _MIN_LENGTH})
    if isinstance(field, forms.IntegerField):
        wanted.update({"min_value": _MIN_VALUE, "max_value": _MAX_VALUE})
    defaults = _django_defaults(field)
    return {
        code: text
        for code, text in wanted.items()
        if code not in field.error_messages or str(field.error_messages[code]) == defaults.get(code)
    }


def say_what_to_do(form: forms.BaseForm) -> None:
    """Gives every field of ``form`` messages that say what to do (see ``error_messages_for``)."""
    for name, field in form.fields.items():
        field.error_messages.update(error_messages_for(name, field))


class NHSForm(forms.Form):
    """The base of every form of the service: its fields' error messages say what to do. The messages are set
    just before checking, so that fields a form adds or relabels in ``__init__`` get them too."""

    def full_clean(self) -> None:
        say_what_to_do(self)
        super().full_clean()
