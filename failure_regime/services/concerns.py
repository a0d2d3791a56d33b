"""Recording concerns about a provider, with evidence."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.audit import audit_record
from accounts.models import PROVIDER_KINDS, Organisation, Role, User
from failure_regime.models import Concern, ConcernEvidence, ConcernSource, Severity
from failure_regime.permissions import CONCERN_ROLES, OWN_REPORT_ROLES, membership_for
from failure_regime.services.concern_clock import concern_clock_start
from failure_regime.uploads import FileType, check_upload, store
from failure_regime.verbs import RegimeVerb


def _grant_concern(concern: Concern) -> None:
    """The raising organisation sees a concern; the provider's oversight body sees it through the provider, and
    CQC and national oversight by role. The provider does not (it may come from a whistleblower), unless it
    reported the concern itself."""
    assign_perm("failure_regime.view_concern", concern.raised_by_organisation.group, concern)


@transaction.atomic
def concern_raise(
    *,
    actor: User,
    organisation: Organisation,
    provider: Organisation,
    source: str,
    summary: str,
    severity: str = Severity.ROUTINE,
    evidence: list[UploadedFile] | None = None,
) -> Concern:
    """Records a concern about a provider, raised by regulator or oversight staff for ``organisation``, with its
    evidence files. An immediate concern's assessment clock starts (``concern_clock``)."""
    membership_for(actor, organisation, CONCERN_ROLES, doing="record concerns")
    errors = {}
    if not provider.is_provider:
        errors["provider"] = "Choose a provider of care."
    if source not in ConcernSource.values:
        errors["source"] = "Choose where the concern came from."
    elif source == ConcernSource.PROVIDER_REPORT:
        errors["source"] = "A provider's own report is recorded by the provider."
    elif source == ConcernSource.PUBLIC_ENQUIRY:
        errors["source"] = "A public enquiry becomes a concern through its family liaison officer."
    if errors:
        raise ValidationError(errors)
    return _record(
        actor=actor,
        organisation=organisation,
        provider=provider,
        source=source,
        summary=summary,
        severity=severity,
        evidence=evidence,
    )


REPORT_OWN = "report concerns about your organisation"


@transaction.atomic
def concern_report_own(
    *,
    actor: User,
    organisation: Organisation,
    summary: str,
    severity: str = Severity.ROUTINE,
    evidence: list[UploadedFile] | None = None,
) -> Concern:
    """Records a provider's report of a concern about itself, made by its manager or sign-off officer for
    ``organisation`` (their provider), with evidence files. The provider sees what it reported, and never what
    others raised about it; CQC and its oversight body assess it."""
    membership_for(actor, organisation, OWN_REPORT_ROLES, doing=REPORT_OWN, kinds=PROVIDER_KINDS)
    return _record(
        actor=actor,
        organisation=organisation,
        provider=organisation,
        source=ConcernSource.PROVIDER_REPORT,
        summary=summary,
        severity=severity,
        evidence=evidence,
    )


@transaction.atomic
def concern_from_enquiry(
    *, actor: User, organisation: Organisation, provider: Organisation, summary: str, severity: str
) -> Concern:
    """Records a concern raised from a public enquiry by the family liaison officer handling it for
    ``organisation``. The caller (the enquiry service) links the two and has checked that ``summary`` holds none
    of the sender's details: they stay with the enquiry, which the provider never sees."""
    membership_for(actor, organisation, {Role.FAMILY_LIAISON_OFFICER}, doing="raise concerns from enquiries")
    if not provider.is_provider:
        raise ValidationError({"provider": "Choose a provider of care."})
    return _record(
        actor=actor,
        organisation=organisation,
        provider=provider,
        source=ConcernSource.PUBLIC_ENQUIRY,
        summary=summary,
        severity=severity,
        evidence=None,
    )


def _record(
    *,
    actor: User,
    organisation: Organisation,
    provider: Organisation,
    source: str,
    summary: str,
    severity: str,
    evidence: list[UploadedFile] | None,
) -> Concern:
    if not summary.strip():
        raise ValidationError({"summary": "Describe the concern."})
    if severity not in Severity.values:
        raise ValidationError({"severity": "Choose how urgent the concern is."})
    files = [(upload, check_upload(upload)) for upload in evidence or []]
    concern = Concern.objects.create(
        provider=provider,
        source=source,
        summary=summary.strip(),
        severity=severity,
        raised_by=actor,
        raised_by_organisation=organisation,
        raised_at=timezone.now(),
    )
    _grant_concern(concern)
    concern_clock_start(concern)
    for upload, file_type in files:
        _attach(concern=concern, actor=actor, upload=upload, file_type=file_type)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=RegimeVerb.CONCERN_RAISED,
        target=concern,
        after={"provider": provider.ods_code, "source": source, "severity": severity, "evidence_files": len(files)},
    )
    return concern


def _attach(*, concern: Concern, actor: User, upload: UploadedFile, file_type: FileType) -> ConcernEvidence:
    evidence = store(ConcernEvidence(concern=concern), upload=upload, file_type=file_type, actor=actor)
    return evidence  # type: ignore[return-value]


@transaction.atomic
def concern_evidence_add(
    *, actor: User, organisation: Organisation, concern: Concern, upload: UploadedFile
) -> ConcernEvidence:
    """Adds one more evidence file to a concern, for ``organisation``."""
    membership_for(actor, organisation, CONCERN_ROLES, doing="add evidence to concerns")
    file_type = check_upload(upload)
    evidence = _attach(concern=concern, actor=actor, upload=upload, file_type=file_type)
    audit_record(
        actor=actor,
        organisation=organisation,
        verb=RegimeVerb.CONCERN_EVIDENCE_ADDED,
        target=concern,
        after={"file": evidence.original_name, "size": evidence.size},
    )
    return evidence
