"""Public notices and guidance, every version of their text, and the approvals each version needs.

A notice is one public page about a case, at ``/notices/<pk>/``: its primary key is its public id. It is safe
to show because nothing is public unless it is published and past its embargo (``Notice.objects.public()``),
and it keeps its id through every correction, so links in the press and the feed stay good.

Two states move together until the first publication, then apart:

- ``Notice.status`` is the notice's place in its life: draft, in review, approved, published, corrected or
  withdrawn. It decides what the public sees.
- ``NoticeVersion.status`` is the editorial state of one text. A correction of a live notice is a new version
  that goes through review and approval while the notice stays public with its current published version;
  publishing the correction points ``published_version`` at it and marks the notice corrected.

A version's text is frozen once it is submitted. Returning it marks it returned (kept, with the reason) and
the service opens a new draft version carrying the same text, so every approval refers to exactly the words
that were approved.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Organisation
from failure_regime.models import Case


class NoticeKind(models.TextChoices):
    FAILURE_NOTICE = "failure_notice", "Failure notice"
    GUIDANCE = "guidance", "Guidance"
    PROGRESS_UPDATE = "progress_update", "Progress update"
    JOINT_STATEMENT = "joint_statement", "Joint statement"
    QUESTIONS_AND_ANSWERS = "questions_and_answers", "Questions and answers"


# The kinds as the public pages name them: staff say "failure notice", which means nothing to most people.
PUBLIC_NOTICE_KINDS: dict[str, str] = {
    **dict(NoticeKind.choices),
    NoticeKind.FAILURE_NOTICE: "Notice of a care failure",
}


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    CORRECTED = "corrected", "Published and corrected"
    WITHDRAWN = "withdrawn", "Withdrawn"


# The statuses in which a notice is public once its embargo (``publish_at``) has passed. This tuple is the one
# definition: ``Notice.is_public``, ``public_notice_q`` (the ORM) and ``public_notice_sql`` (written-out SQL) read it.
PUBLIC_STATUSES: tuple[NoticeStatus, ...] = (NoticeStatus.PUBLISHED, NoticeStatus.CORRECTED)
# The same statuses as a set, for the services and views that ask whether a notice has gone (or is going) public.
LIVE_STATUSES = frozenset(PUBLIC_STATUSES)
# The statuses before the first publication: no published version, no embargo time.
UNPUBLISHED_STATUSES = frozenset({NoticeStatus.DRAFT, NoticeStatus.IN_REVIEW, NoticeStatus.APPROVED})
# Sorted lists for the database constraints and indexes, so migrations are stable.
_LIVE = sorted(str(s) for s in PUBLIC_STATUSES)
_UNPUBLISHED = sorted(str(s) for s in UNPUBLISHED_STATUSES)


def _sql_strings(values: Iterable[str]) -> str:
    """``values`` as SQL string literals, comma-separated, for an ``IN (...)``. Writing them into the statement is
    safe because they are code constants (``NoticeStatus`` and ``VersionStatus`` values, plain lower-case words),
    never user input: anything a person typed goes in as a query parameter. The check makes sure of it."""
    words = [str(value) for value in values]
    if not all(word.isidentifier() and word.islower() for word in words):
        raise ValueError(f"Only plain status words may be written into SQL, not {words!r}.")
    return ", ".join(f"'{word}'" for word in words)


def _sql_alias(alias: str) -> str:
    """``alias``, once it is certain to be a plain name that can go into the statement as it is."""
    if not alias.isidentifier():
        raise ValueError(f"Not a table alias: {alias!r}.")
    return alias


def public_notice_q(now: datetime) -> Q:
    """The notices the public may read at ``now``: published or corrected, and past the embargo (``publish_at``).
    Withdrawn notices are not public, whenever they were published."""
    return Q(status__in=PUBLIC_STATUSES, publish_at__lte=now)


def public_notice_sql(alias: str, now_placeholder: str) -> str:
    """``public_notice_q`` as an SQL condition on the notice table called ``alias`` in the statement, for the
    busiest public reads, which are written out. ``now_placeholder`` is the statement's parameter for the moment
    (``%s`` or ``%(now)s``). A notice with no ``publish_at`` fails the comparison, as it does in the ORM."""
    alias = _sql_alias(alias)
    return f"{alias}.status IN ({_sql_strings(PUBLIC_STATUSES)}) AND {alias}.publish_at <= {now_placeholder}"


def embargoed_notice_sql(alias: str, now_placeholder: str) -> str:
    """``Notice.is_embargoed`` as an SQL condition, in the same form as ``public_notice_sql``: published for a time
    still to come."""
    alias = _sql_alias(alias)
    return f"{alias}.status = {_sql_strings([NoticeStatus.PUBLISHED])} AND {alias}.publish_at > {now_placeholder}"


class NoticeQuerySet(models.QuerySet["Notice"]):
    def public(self, *, now: datetime | None = None) -> NoticeQuerySet:
        """What the public may read at ``now``: published or corrected, past its embargo, not withdrawn
        (``public_notice_q``). Every public page, the feed, open data and the public API start here."""
        return self.filter(public_notice_q(now or timezone.now()))


class Notice(models.Model):
    """A public notice about a case (a failure notice, guidance, a progress update, a joint statement or
    questions and answers). Its public fields are denormalised so the public list reads one table plus the
    published version: ``published_version``, ``publish_at`` (the embargo, then the first publication time)
    and ``last_updated_at`` (the latest correction, or the first publication)."""

    # Allowed changes of ``status``; services check ``can_become`` under a row lock.
    # PUBLISHED → APPROVED only while the embargo has not passed (the publication is taken off the schedule).
    # CORRECTED → CORRECTED is a further correction. DRAFT/IN_REVIEW/APPROVED → WITHDRAWN abandons a notice
    # that never went public.
    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        NoticeStatus.DRAFT: {NoticeStatus.IN_REVIEW, NoticeStatus.WITHDRAWN},
        NoticeStatus.IN_REVIEW: {NoticeStatus.DRAFT, NoticeStatus.APPROVED, NoticeStatus.WITHDRAWN},
        NoticeStatus.APPROVED: {NoticeStatus.PUBLISHED, NoticeStatus.DRAFT, NoticeStatus.WITHDRAWN},
        NoticeStatus.PUBLISHED: {NoticeStatus.CORRECTED, NoticeStatus.WITHDRAWN, NoticeStatus.APPROVED},
        NoticeStatus.CORRECTED: {NoticeStatus.CORRECTED, NoticeStatus.WITHDRAWN},
        NoticeStatus.WITHDRAWN: set(),
    }

    kind = models.CharField(max_length=32, choices=NoticeKind.choices)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notices")
    provider = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="notices",
        editable=False,
        help_text="The case's provider, copied when the notice is created, for the public filters.",
    )
    status = models.CharField(max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT, editable=False)
    families_first = models.BooleanField(
        default=False, help_text="Tell the enrolled families before the notice is published."
    )
    families_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_version = models.ForeignKey(
        "NoticeVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text="The version the public sees; always one of this notice's versions.",
    )
    publish_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the notice goes public (its embargo); the first publication time once it has passed.",
    )
    last_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    withdrawal_reason = models.TextField(max_length=5000, blank=True, editable=False, help_text="Shown to the public.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_by_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The public list, newest first, whole and filtered by provider or kind.
            models.Index(fields=["-publish_at", "-id"], name="notice_public_idx", condition=Q(status__in=_LIVE)),
            models.Index(
                fields=["provider", "-publish_at"], name="notice_public_provider_idx", condition=Q(status__in=_LIVE)
            ),
            models.Index(fields=["kind", "-publish_at"], name="notice_public_kind_idx", condition=Q(status__in=_LIVE)),
            models.Index(fields=["case", "status"], name="notice_case_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(name="notice_status_known", condition=Q(status__in=NoticeStatus.values)),
            models.CheckConstraint(name="notice_kind_known", condition=Q(kind__in=NoticeKind.values)),
            models.CheckConstraint(
                name="notice_live_has_published_version",
                condition=~Q(status__in=_LIVE)
                | Q(published_version__isnull=False, publish_at__isnull=False, last_updated_at__isnull=False),
            ),
            models.CheckConstraint(
                name="notice_unpublished_has_no_publication",
                condition=~Q(status__in=_UNPUBLISHED)
                | Q(published_version__isnull=True, publish_at__isnull=True, last_updated_at__isnull=True),
            ),
            models.CheckConstraint(
                name="notice_withdrawn_has_reason",
                condition=~Q(status="withdrawn")
                | (Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False) & ~Q(withdrawal_reason="")),
            ),
            models.CheckConstraint(
                name="notice_updated_after_publication",
                condition=Q(last_updated_at__isnull=True) | Q(last_updated_at__gte=F("publish_at")),
            ),
            models.CheckConstraint(
                name="notice_families_notified_only_when_first",
                condition=Q(families_notified_at__isnull=True) | Q(families_first=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} on {self.case.reference}"

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]

    def is_public(self, *, now: datetime | None = None) -> bool:
        """The same rule as ``Notice.objects.public()`` (``public_notice_q``), for one notice already in hand."""
        return (
            self.status in PUBLIC_STATUSES
            and self.publish_at is not None
            and self.publish_at <= (now or timezone.now())
        )

    def is_embargoed(self, *, now: datetime | None = None) -> bool:
        """Published for a time still to come."""
        return (
            self.status == NoticeStatus.PUBLISHED
            and self.publish_at is not None
            and self.publish_at > (now or timezone.now())
        )


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    RETURNED = "returned", "Returned for changes"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Replaced by a correction"
    DISCARDED = "discarded", "Discarded"


# A notice has at most one version in these statuses at a time: the one being worked on.
WORKING_VERSION_STATUSES = frozenset({VersionStatus.DRAFT, VersionStatus.IN_REVIEW, VersionStatus.APPROVED})
# The versions that went public: the one the public sees and those a correction replaced.
PUBLISHED_VERSION_STATUSES: tuple[VersionStatus, ...] = (VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED)


def published_version_sql(alias: str) -> str:
    """A version in ``PUBLISHED_VERSION_STATUSES``, as an SQL condition on the version table called ``alias``."""
    return f"{_sql_alias(alias)}.status IN ({_sql_strings(PUBLISHED_VERSION_STATUSES)})"


class NoticeVersion(models.Model):
    """One version of a notice's text. Every version is kept: drafts that were returned, the approved one,
    every published one and the corrections that replaced them. The ``*_html`` fields are rendered from the
    Markdown and sanitised by the service that saves the version; nothing else writes them."""

    # PUBLISHED → APPROVED only while the notice's embargo has not passed (see Notice.TRANSITIONS).
    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        VersionStatus.DRAFT: {VersionStatus.IN_REVIEW, VersionStatus.DISCARDED},
        VersionStatus.IN_REVIEW: {VersionStatus.APPROVED, VersionStatus.RETURNED, VersionStatus.DISCARDED},
        VersionStatus.APPROVED: {VersionStatus.PUBLISHED, VersionStatus.RETURNED, VersionStatus.DISCARDED},
        VersionStatus.PUBLISHED: {VersionStatus.SUPERSEDED, VersionStatus.APPROVED},
        VersionStatus.RETURNED: set(),
        VersionStatus.SUPERSEDED: set(),
        VersionStatus.DISCARDED: set(),
    }

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(editable=False)
    status = models.CharField(max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT, editable=False)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, help_text="One or two sentences, for lists, the feed and open data.")
    # The limits on the texts people write are here only: the notice form reads them.
    body_markdown = models.TextField(
        max_length=20_000, help_text="What happened (or, for guidance, the guidance itself)."
    )
    body_html = models.TextField(editable=False)
    what_is_being_done_markdown = models.TextField(max_length=10_000, blank=True)
    what_is_being_done_html = models.TextField(blank=True, editable=False)
    what_happens_next_markdown = models.TextField(
        max_length=5000,
        blank=True,
        help_text="What happens next and when. Every notice except guidance needs it before it is sent for approval.",
    )
    what_happens_next_html = models.TextField(blank=True, editable=False)
    next_update_on = models.DateField(
        null=True, blank=True, help_text="The date by which the next update will be published, if one is promised."
    )
    who_leads_markdown = models.TextField(
        max_length=5000, blank=True, help_text="Who leads the response, by role and organisation."
    )
    who_leads_html = models.TextField(blank=True, editable=False)
    is_correction = models.BooleanField(
        default=False, editable=False, help_text="Drafted to correct the notice after it was published."
    )
    correction_note = models.TextField(
        max_length=2000, blank=True, help_text="What changed and why; shown to the public."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    returned_at = models.DateTimeField(null=True, blank=True, editable=False)
    return_reason = models.TextField(max_length=5000, blank=True, editable=False)
    approved_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the last approval it needed was given."
    )
    published_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When this version went (or goes) public."
    )
    superseded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["notice", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "number"], name="notice_version_number_once"),
            models.UniqueConstraint(
                fields=["notice"],
                condition=Q(status__in=["draft", "in_review", "approved"]),
                name="notice_one_working_version",
            ),
            models.UniqueConstraint(
                fields=["notice"], condition=Q(status="published"), name="notice_one_published_version"
            ),
            models.CheckConstraint(name="notice_version_status_known", condition=Q(status__in=VersionStatus.values)),
            models.CheckConstraint(name="notice_version_has_title", condition=~Q(title="")),
            models.CheckConstraint(
                name="notice_version_correction_has_note", condition=Q(is_correction=False) | ~Q(correction_note="")
            ),
            models.CheckConstraint(
                name="notice_version_returned_has_reason",
                condition=~Q(status="returned")
                | (Q(returned_at__isnull=False, returned_by__isnull=False) & ~Q(return_reason="")),
            ),
            models.CheckConstraint(
                name="notice_version_approved_has_time",
                condition=~Q(status__in=["approved", "published", "superseded"]) | Q(approved_at__isnull=False),
            ),
            models.CheckConstraint(
                name="notice_version_published_has_time",
                condition=~Q(status__in=["published", "superseded"]) | Q(published_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice} v{self.number}"

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]


class ApprovalBasis(models.TextChoices):
    """In what capacity an approval was given."""

    COMMUNICATIONS_LEAD = "communications_lead", "The case's accountable communications lead"
    PARTY_SIGN_OFF = "party_sign_off", "A sign-off officer of a party to the case"


class NoticeApproval(models.Model):
    """One organisation's approval of one version. A notice needs one from the organisation of the case's
    accountable communications lead; a joint statement needs one from every party to the case, each given
    by that party's sign-off officer. At most one per organisation and version."""

    version = models.ForeignKey(NoticeVersion, on_delete=models.CASCADE, related_name="approvals")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    basis = models.CharField(max_length=32, choices=ApprovalBasis.choices)
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["version", "decided_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "organisation"], name="notice_approval_once_per_organisation"),
            models.CheckConstraint(name="notice_approval_basis_known", condition=Q(basis__in=ApprovalBasis.values)),
        ]

    def __str__(self) -> str:
        return f"{self.version} approved for {self.organisation}"
