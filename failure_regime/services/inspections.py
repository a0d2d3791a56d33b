"""CQC inspections of any provider, in or out of special measures: when it inspected, what it rated each of the
five key questions and overall, and the published report. The ratings are public from the publication date."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Organisation, User
from failure_regime.models import Inspection, InspectionKind, Rating
from failure_regime.permissions import INSPECTION_ROLES, membership_for
from failure_regime.verbs import MeasuresVerb

KEY_QUESTIONS = ("safe", "effective", "caring", "responsive", "well_led")
RATED = (*KEY_QUESTIONS, "overall")


def _publication_errors(
    *, carried_out_on: date | None, report_reference: str, report_url: str, published_on: date | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if report_url:
        parts = urlsplit(report_url)
        if parts.scheme != "https" or not parts.hostname:
            errors["report_url"] = "Enter the report's web address, starting with https://"
    if published_on is not None:
        if published_on > today:
            errors["published_on"] = "The publication date cannot be in the future."
        elif carried_out_on is not None and published_on < carried_out_on:
            errors["published_on"] = "The report cannot be published before the inspection was carried out."
        if not report_reference:
            errors["report_reference"] = "Enter the published report's reference."
        if not report_url and "report_url" not in errors:
            errors["report_url"] = "Enter the published report's web address."
    elif report_reference or report_url:
        errors["published_on"] = "Enter the date the report was published."
    return errors


@transaction.atomic
def inspection_add(
    *,
    actor: User,
    organisation: Organisation,
    provider: Organisation,
    carried_out_on: date,
    ratings: dict[str, str],
    report_reference: str = "",
    report_url: str = "",
    published_on: date | None = None,
) -> Inspection:
    """A CQC inspector or decision-maker records an inspection of any provider: the date it was carried out, a
    rating for each key question and overall and, once published, the report's reference, address and date."""
    membership_for(actor, organisation, INSPECTION_ROLES, doing="record inspections")
    report_reference, report_url = report_reference.strip(), report_url.strip()
    errors = {q: "Choose a rating." for q in RATED if ratings.get(q) not in Rating.values}
    if not provider.is_provider:
        errors["provider"] = "Choose a provider of care."
    if carried_out_on > timezone.localdate():
        errors["carried_out_on"] = "The date the inspection was carried out cannot be in the future."
    errors.update(
        _publication_errors(
            carried_out_on=carried_out_on,
            report_reference=report_reference,
            report_url=report_url,
            published_on=published_on,
        )
    )
    if errors:
        raise ValidationError(errors)
    inspection = Inspection.objects.create(
        provider=provider,
        kind=InspectionKind.INSPECTION,
        carried_out_on=carried_out_on,
        report_reference=report_reference,
        report_url=report_url,
        published_on=published_on,
        recorded_by=actor,
        recorded_at=timezone.now(),
        **{q: ratings[q] for q in RATED},
    )
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=MeasuresVerb.INSPECTION_RECORDED,
        target=inspection,
        scope=inspection,
        after=_values(inspection),
    )
    return inspection


@transaction.atomic
def inspection_publish(
    *,
    actor: User,
    organisation: Organisation,
    inspection: Inspection,
    report_reference: str,
    report_url: str,
    published_on: date,
) -> Inspection:
    """Records that CQC published the report of an inspection recorded before publication. Once only: a published
    report is not re-dated."""
    membership_for(actor, organisation, INSPECTION_ROLES, doing="record inspections")
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if inspection.is_published:
        raise ValidationError({"published_on": "This inspection's report is already recorded as published."})
    if not inspection.is_rated:
        raise ValidationError({"published_on": "Record the inspection's ratings before its publication."})
    report_reference, report_url = report_reference.strip(), report_url.strip()
    errors = _publication_errors(
        carried_out_on=inspection.carried_out_on,
        report_reference=report_reference,
        report_url=report_url,
        published_on=published_on,
    )
    if errors:
        raise ValidationError(errors)
    inspection.report_reference, inspection.report_url = report_reference, report_url
    inspection.published_on = published_on
    inspection.save(update_fields=["report_reference", "report_url", "published_on"])
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=MeasuresVerb.INSPECTION_PUBLISHED,
        target=inspection,
        scope=inspection,
        after={"report_reference": report_reference, "report_url": report_url, "published_on": published_on},
    )
    return inspection


def _values(inspection: Inspection) -> dict[str, Any]:
    return {
        "provider": inspection.provider.ods_code,
        "carried_out_on": inspection.carried_out_on,
        **{q: getattr(inspection, q) for q in RATED},
        "report_reference": inspection.report_reference,
        "report_url": inspection.report_url,
        "published_on": inspection.published_on,
    }
