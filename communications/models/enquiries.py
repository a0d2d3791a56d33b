"""Enquiries from the public, their triage, the notes of handling them and referrals to support services.

Personal data. These fields hold what members of the public tell us about themselves and the people they
care for, and must never appear in URLs, logs, task arguments, e-mail subjects, audit ``before``/``after``,
``__str__``, the administration site, or anything public:

- ``Enquiry``: ``name``, ``relation_detail``, ``worry``, ``email``, ``phone``, ``contact_times``,
  ``communication_needs`` (listed in ``Enquiry.PERSONAL_FIELDS``);
- ``EnquiryNote.text`` and ``Referral.note``.

An enquiry is known everywhere else by its ``reference`` (random, not guessable, e.g. ``ENQ-7K3Q-9XZ2``),
which is also what the sender is given in their acknowledgement. Staff reads of an enquiry are audited with
the "viewed" verb.
"""

from __future__ import annotations

import re
import secrets
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.models import Organisation
from communications.models.support import SupportService
from failure_regime.models import Case

# Crockford's base 32: no I, L, O or U, so a reference read out on the phone cannot be misheard as another.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PATTERN = r"^ENQ-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$"


def enquiry_reference_new() -> str:
    """A fresh random reference: 40 bits from the system's secure random source, so references cannot be
    guessed or counted. The unique constraint catches the (vanishingly rare) repeat."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"ENQ-{chars[:4]}-{chars[4:]}"


def enquiry_reference_normalise(text: str) -> str:
    """A reference as a person typed or read it, in its stored form ("enq 7k3q 9xz2" → "ENQ-7K3Q-9XZ2"; O is
    read as 0, I and L as 1), or "" when it cannot be one."""
    chars = re.sub(r"[\s-]", "", text.upper()).translate(str.maketrans("OIL", "011"))
    chars = chars.removeprefix("ENQ")
    reference = f"ENQ-{chars[:4]}-{chars[4:]}"
    return reference if re.fullmatch(REFERENCE_PATTERN, reference) else ""


class Relation(models.TextChoices):
    """How the person writing is related to the patient they are worried about."""

    PATIENT = "patient", "I am the patient"
    FAMILY = "family", "A family member"
    FRIEND_OR_CARER = "friend_or_carer", "A friend or carer"
    REPRESENTATIVE = "representative", "An advocate or representative"
    STAFF = "staff", "A member of staff"
    OTHER = "other", "Other"


class ContactMethod(models.TextChoices):
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"


class EnquiryCategory(models.TextChoices):
    """What the enquiry is about, chosen at triage."""

    INFORMATION = "information", "Wants information"
    CARE_REVIEW = "care_review", "Wants a review of care"
    URGENT_CLINICAL = "urgent_clinical", "Urgent clinical worry"
    DISTRESS = "distress", "In distress"
    MEDIA = "media", "Media"
    MP = "mp", "MP enquiry"


class Urgency(models.TextChoices):
    """How fast the first response is due: urgent the same working day, routine within 2 working days."""

    URGENT = "urgent", "Urgent"
    ROUTINE = "routine", "Routine"


class EnquiryStatus(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    RESPONDED = "responded", "Responded"
    CLOSED = "closed", "Closed"


# Enquiries still waiting for their first response: the triage queue, and what the response clock watches.
AWAITING_RESPONSE = frozenset({EnquiryStatus.NEW, EnquiryStatus.TRIAGED})
_AWAITING = sorted(str(s) for s in AWAITING_RESPONSE)


class Enquiry(models.Model):
    """A message from a member of the public, sent without an account. Family liaison staff triage it (set
    its category and urgency, link it to a case, assign it) and respond before ``response_due_at``; the
    response clock escalates it once, stamping ``escalated_at``, if that passes unanswered.

    The sender's wish for a review of the patient's care is kept in ``wants_case_note_review``. The officer passes
    it to the case's review as a ``reviews.ReviewRequest`` (written without anything that identifies the patient)
    for the review chair to accept or decline; ``review_request`` points at it, and ``cohort`` records the
    case-note review cohort it went to. Reviews never reads enquiries: the link is kept on this side.
    """

    # NEW → CLOSED closes an enquiry that needs nothing (a duplicate, say) without triage; CLOSED → TRIAGED
    # reopens one when the sender writes again.
    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        EnquiryStatus.NEW: {EnquiryStatus.TRIAGED, EnquiryStatus.CLOSED},
        EnquiryStatus.TRIAGED: {EnquiryStatus.RESPONDED, EnquiryStatus.CLOSED},
        EnquiryStatus.RESPONDED: {EnquiryStatus.CLOSED},
        EnquiryStatus.CLOSED: {EnquiryStatus.TRIAGED},
    }
    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = (
        "name",
        "relation_detail",
        "worry",
        "email",
        "phone",
        "contact_times",
        "communication_needs",
    )

    reference = models.CharField(max_length=13, unique=True, default=enquiry_reference_new, editable=False)
    received_at = models.DateTimeField(editable=False)

    # What the sender told us (personal data).
    name = models.CharField(max_length=150)
    relation = models.CharField(max_length=16, choices=Relation.choices)
    relation_detail = models.CharField(max_length=200, blank=True)
    provider = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="enquiries"
    )
    provider_name = models.CharField(
        max_length=200, blank=True, help_text="The provider as the sender named it, when not chosen from the list."
    )
    worry = models.TextField(max_length=5000)  # the one limit: ``enquiry_receive`` reads it from here
    contact_method = models.CharField(max_length=8, choices=ContactMethod.choices)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    contact_times = models.CharField(max_length=300, blank=True, help_text="When it suits them to be contacted.")
    communication_needs = models.TextField(max_length=2000, blank=True)
    wants_case_note_review = models.BooleanField(default=False)
    consent = models.BooleanField(help_text="Agreed that we keep and use these details to help them.")
    consented_at = models.DateTimeField()

    # Handling.
    status = models.CharField(max_length=16, choices=EnquiryStatus.choices, default=EnquiryStatus.NEW, editable=False)
    category = models.CharField(max_length=16, choices=EnquiryCategory.choices, blank=True)
    urgency = models.CharField(max_length=8, choices=Urgency.choices, default=Urgency.ROUTINE)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="enquiries")
    handled_by = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The organisation whose family liaison staff handle it; its group holds the object permissions.",
    )
    cohort = models.ForeignKey(
        "reviews.Cohort",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text="The case-note review cohort the family's request for a review was passed to.",
    )
    review_request = models.OneToOneField(
        "reviews.ReviewRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text="The family's request for a review of care, as passed to the case's review (the latest, if one "
        "was declined and passed again).",
    )
    concern = models.OneToOneField(
        "failure_regime.Concern",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enquiry",
        editable=False,
        help_text="The concern about the provider that a family liaison officer raised from this enquiry: its "
        "summary holds none of the sender's details, which stay here.",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_enquiries",
        help_text="The family liaison officer handling it.",
    )
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    triaged_at = models.DateTimeField(null=True, blank=True, editable=False)
    response_due_at = models.DateTimeField(editable=False)
    responded_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closure_reason = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name_plural = "enquiries"
        indexes = [
            # The triage queue: what still needs a first response, soonest due first.
            models.Index(fields=["response_due_at"], name="enquiry_awaiting_idx", condition=Q(status__in=_AWAITING)),
            models.Index(
                fields=["handled_by", "response_due_at"],
                name="enquiry_org_awaiting_idx",
                condition=Q(status__in=_AWAITING),
            ),
            # The response clock's sweep: overdue and not yet escalated.
            models.Index(
                fields=["response_due_at"],
                name="enquiry_escalation_idx",
                condition=Q(status__in=_AWAITING, escalated_at__isnull=True),
            ),
            models.Index(fields=["case", "status"], name="enquiry_case_status_idx"),
            models.Index(fields=["assigned_to", "status"], name="enquiry_assignee_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(name="enquiry_reference_format", condition=Q(reference__regex=REFERENCE_PATTERN)),
            models.CheckConstraint(name="enquiry_status_known", condition=Q(status__in=EnquiryStatus.values)),
            models.CheckConstraint(
                name="enquiry_category_known", condition=Q(category="") | Q(category__in=EnquiryCategory.values)
            ),
            models.CheckConstraint(name="enquiry_urgency_known", condition=Q(urgency__in=Urgency.values)),
            models.CheckConstraint(name="enquiry_relation_known", condition=Q(relation__in=Relation.values)),
            models.CheckConstraint(name="enquiry_has_worry", condition=~Q(worry="")),
            models.CheckConstraint(name="enquiry_has_consent", condition=Q(consent=True)),
            models.CheckConstraint(
                name="enquiry_contact_details_for_method",
                condition=(Q(contact_method=ContactMethod.EMAIL) & ~Q(email=""))
                | (Q(contact_method=ContactMethod.PHONE) & ~Q(phone="")),
            ),
            models.CheckConstraint(
                name="enquiry_triaged_has_category",
                condition=Q(status__in=[EnquiryStatus.NEW, EnquiryStatus.CLOSED])
                | (~Q(category="") & Q(triaged_at__isnull=False, triaged_by__isnull=False)),
            ),
            models.CheckConstraint(
                name="enquiry_responded_has_time",
                condition=~Q(status=EnquiryStatus.RESPONDED) | Q(responded_at__isnull=False),
            ),
            models.CheckConstraint(
                name="enquiry_closed_has_time",
                condition=~Q(status=EnquiryStatus.CLOSED) | Q(closed_at__isnull=False, closed_by__isnull=False),
            ),
            models.CheckConstraint(
                name="enquiry_due_after_receipt", condition=Q(response_due_at__gte=F("received_at"))
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]

    @property
    def awaiting_response(self) -> bool:
        return self.status in AWAITING_RESPONSE


class NoteKind(models.TextChoices):
    NOTE = "note", "Note"
    CONTACT = "contact", "Contact with the sender"
    CONTACT_ATTEMPT = "contact_attempt", "Tried to make contact"


class EnquiryNote(models.Model):
    """One entry in the handling log of an enquiry: an internal note, a contact with the sender, or an
    attempt to reach them. The text is personal data."""

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=16, choices=NoteKind.choices)
    text = models.TextField(max_length=10_000)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()

    class Meta:
        ordering = ["enquiry", "written_at", "pk"]
        constraints = [
            models.CheckConstraint(name="enquiry_note_kind_known", condition=Q(kind__in=NoteKind.values)),
            models.CheckConstraint(name="enquiry_note_has_text", condition=~Q(text="")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.enquiry.reference}"


class ReferralStatus(models.TextChoices):
    OFFERED = "offered", "Offered"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class Referral(models.Model):
    """A support service offered to the sender of an enquiry, and whether they took it up. One standing
    (offered or accepted) referral per enquiry and service; a declined one may be offered again later."""

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        ReferralStatus.OFFERED: {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED},
        ReferralStatus.ACCEPTED: set(),
        ReferralStatus.DECLINED: set(),
    }

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="referrals")
    service = models.ForeignKey(SupportService, on_delete=models.PROTECT, related_name="referrals")
    status = models.CharField(
        max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.OFFERED, editable=False
    )
    note = models.TextField(max_length=2000, blank=True)
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    offered_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text="Who recorded the sender's answer.",
    )

    class Meta:
        ordering = ["enquiry", "offered_at", "pk"]
        indexes = [models.Index(fields=["service", "status"], name="referral_service_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["enquiry", "service"],
                condition=Q(status__in=[ReferralStatus.ACCEPTED, ReferralStatus.OFFERED]),
                name="referral_one_standing_per_service",
            ),
            models.CheckConstraint(name="referral_status_known", condition=Q(status__in=ReferralStatus.values)),
            models.CheckConstraint(
                name="referral_decision_recorded",
                condition=Q(status=ReferralStatus.OFFERED, decided_at__isnull=True, recorded_by__isnull=True)
                | Q(
                    status__in=[ReferralStatus.ACCEPTED, ReferralStatus.DECLINED],
                    decided_at__isnull=False,
                    recorded_by__isnull=False,
                ),
            ),
            models.CheckConstraint(
                name="referral_decided_after_offer",
                condition=Q(decided_at__isnull=True) | Q(decided_at__gte=F("offered_at")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enquiry.reference} referred to {self.service}"

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]
