"""People, organisations, memberships and the audit trail."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import Group, PermissionsMixin
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

ods_code_validator = RegexValidator(
    regex=r"^[A-Z0-9]{3,6}$",
    message="Enter an ODS code of 3 to 6 capital letters and digits, for example RXL or A81001.",
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # E-mail addresses are stored in lower case, so sign-in ignores case.
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an e-mail address, a password and a second factor."""

    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=150)
    job_title = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can use the administration site (administrators only).")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class OrganisationKind(models.TextChoices):
    REGULATOR = "regulator", "Regulator"
    OVERSIGHT_BODY = "oversight_body", "Oversight body"
    FOUNDATION_TRUST = "foundation_trust", "NHS foundation trust"
    NHS_TRUST = "nhs_trust", "NHS trust"
    GP_PRACTICE = "gp_practice", "GP practice"
    ADULT_SOCIAL_CARE = "adult_social_care", "Adult social care provider"
    INDEPENDENT_PROVIDER = "independent_provider", "Independent provider"
    COMMISSIONER = "commissioner", "Commissioner"


PROVIDER_KINDS = frozenset(
    {
        OrganisationKind.FOUNDATION_TRUST,
        OrganisationKind.NHS_TRUST,
        OrganisationKind.GP_PRACTICE,
        OrganisationKind.ADULT_SOCIAL_CARE,
        OrganisationKind.INDEPENDENT_PROVIDER,
    }
)
# Providers held to account by an oversight body (Monitor, NHS TDA, NHS England) rather than by CQC alone.
TRUST_KINDS = frozenset({OrganisationKind.FOUNDATION_TRUST, OrganisationKind.NHS_TRUST})


class Region(models.TextChoices):
    """NHS England's seven regions; national bodies have no region."""

    NATIONAL = "national", "National"
    NORTH_EAST_AND_YORKSHIRE = "north_east_and_yorkshire", "North East and Yorkshire"
    NORTH_WEST = "north_west", "North West"
    MIDLANDS = "midlands", "Midlands"
    EAST_OF_ENGLAND = "east_of_england", "East of England"
    LONDON = "london", "London"
    SOUTH_EAST = "south_east", "South East"
    SOUTH_WEST = "south_west", "South West"


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def providers(self) -> OrganisationQuerySet:
        return self.filter(kind__in=PROVIDER_KINDS)


class Organisation(models.Model):
    """A regulator, an oversight body, a provider of care or a commissioner, known by its ODS code."""

    name = models.CharField(max_length=200)
    ods_code = models.CharField("ODS code", max_length=6, unique=True, validators=[ods_code_validator])
    kind = models.CharField(max_length=32, choices=OrganisationKind.choices)
    region = models.CharField(max_length=32, choices=Region.choices, default=Region.NATIONAL)
    oversight_body = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="overseen_providers",
        limit_choices_to={"kind": OrganisationKind.OVERSIGHT_BODY},
        help_text="Who holds this provider to account: Monitor, NHS TDA or NHS England.",
    )
    group = models.OneToOneField(
        Group,
        on_delete=models.PROTECT,
        editable=False,
        related_name="organisation",
        help_text="Every member belongs to this group; object permissions are granted to it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="organisation_ods_code_format",
                condition=Q(ods_code__regex=r"^[A-Z0-9]{3,6}$"),
            ),
            models.CheckConstraint(
                name="organisation_oversight_body_only_for_providers",
                condition=Q(oversight_body__isnull=True) | Q(kind__in=sorted(PROVIDER_KINDS)),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_provider(self) -> bool:
        return self.kind in PROVIDER_KINDS

    @property
    def is_trust(self) -> bool:
        return self.kind in TRUST_KINDS


class Role(models.TextChoices):
    INSPECTOR = "inspector", "Inspector"
    REGULATOR_DECISION_MAKER = "regulator_decision_maker", "Regulator decision-maker"
    OVERSIGHT_LEAD = "oversight_lead", "Oversight lead"
    TRUST_MANAGER = "trust_manager", "Trust manager"
    TRUST_SIGN_OFF_OFFICER = "trust_sign_off_officer", "Trust sign-off officer"
    COMMUNICATIONS_OFFICER = "communications_officer", "Communications officer"
    FAMILY_LIAISON_OFFICER = "family_liaison_officer", "Family liaison officer"
    REVIEW_CHAIR = "review_chair", "Review chair"
    EXPERT_REVIEWER = "expert_reviewer", "Expert reviewer"
    NATIONAL_OVERSIGHT = "national_oversight", "National oversight"
    ADMINISTRATOR = "administrator", "Administrator"


_ANY_KIND = frozenset(OrganisationKind)
# Which kinds of organisation may hold each role.
ROLE_ORGANISATION_KINDS: dict[str, frozenset[str]] = {
    Role.INSPECTOR: frozenset({OrganisationKind.REGULATOR}),
    Role.REGULATOR_DECISION_MAKER: frozenset({OrganisationKind.REGULATOR}),
    Role.OVERSIGHT_LEAD: frozenset({OrganisationKind.OVERSIGHT_BODY, OrganisationKind.COMMISSIONER}),
    Role.TRUST_MANAGER: PROVIDER_KINDS,
    Role.TRUST_SIGN_OFF_OFFICER: PROVIDER_KINDS,
    Role.COMMUNICATIONS_OFFICER: _ANY_KIND,
    Role.FAMILY_LIAISON_OFFICER: _ANY_KIND,
    Role.REVIEW_CHAIR: _ANY_KIND,
    Role.EXPERT_REVIEWER: _ANY_KIND,
    Role.NATIONAL_OVERSIGHT: frozenset({OrganisationKind.OVERSIGHT_BODY, OrganisationKind.REGULATOR}),
    Role.ADMINISTRATOR: _ANY_KIND,
}


class Membership(models.Model):
    """A user's role in an organisation. A user may hold several roles in several organisations."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}, {self.organisation}"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def for_object(self, obj: models.Model) -> AuditEventQuerySet:
        """Events whose target or scope is ``obj`` (an object's own events and those of its parts)."""
        content_type = ContentType.objects.get_for_model(obj)
        key = str(obj.pk)
        return self.filter(Q(target_type=content_type, target_id=key) | Q(scope_type=content_type, scope_id=key))


class AuditEvent(models.Model):
    """One recorded action: who did what, to what, from what to what, when, and in which request.

    Rows are append-only and chained: each stores the hash of the previous event, so an edited,
    deleted or reordered row breaks the chain (see ``accounts.audit.audit_chain_verify``).
    """

    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    occurred_at = models.DateTimeField(editable=False)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False)
    actor_label = models.CharField(max_length=254, editable=False, help_text="Who acted, as shown then.")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    verb = models.CharField(max_length=64, editable=False, db_index=True)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", editable=False)
    target_id = models.CharField(max_length=64, editable=False)
    target_label = models.CharField(max_length=254, editable=False)
    # The object whose timeline shows this event (a case, say, for a sign-off on it).
    scope_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", null=True, blank=True, editable=False
    )
    scope_id = models.CharField(max_length=64, blank=True, editable=False)
    before = models.JSONField(default=dict, encoder=DjangoJSONEncoder, editable=False)
    after = models.JSONField(default=dict, encoder=DjangoJSONEncoder, editable=False)
    request_id = models.CharField(max_length=64, blank=True, editable=False)
    previous_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)
    # 1: a plain SHA-256 (events recorded before the chain was keyed); 2: an HMAC-SHA256 with AUDIT_CHAIN_KEY.
    hash_version = models.PositiveSmallIntegerField(default=2, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "sequence"], name="audit_target_idx"),
            models.Index(fields=["scope_type", "scope_id", "sequence"], name="audit_scope_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.verb} {self.target_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only.")


class AuditChainHead(models.Model):
    """The single row that serialises writers of the audit chain: the last sequence and hash."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [models.CheckConstraint(name="audit_chain_head_single_row", condition=Q(id=1))]

    def __str__(self) -> str:
        return f"audit chain at #{self.sequence}"


class AuditAnchor(models.Model):
    """A signed note of the audit chain's head, also written as a file outside the database.

    The file is what verification trusts: a person who can rewrite the database can delete this row, but not
    the file, so events deleted from the end of the chain, or a chain rebuilt from an edited event, are found.
    """

    sequence = models.PositiveBigIntegerField(unique=True, help_text="The last event the anchor covers.")
    head_hash = models.CharField(max_length=64)
    event_count = models.PositiveBigIntegerField(help_text="How many events there were up to that one.")
    created_at = models.DateTimeField()
    signature = models.CharField(max_length=64, help_text="HMAC-SHA256 of the other fields with AUDIT_CHAIN_KEY.")
    file_name = models.CharField(max_length=200)

    class Meta:
        ordering = ["-sequence"]

    def __str__(self) -> str:
        return f"audit anchor at #{self.sequence}"


class AuditCheckStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Checking"
    DONE = "done", "Checked"
    FAILED = "failed", "Could not finish"


class AuditCheck(models.Model):
    """One check of the whole audit chain against its latest anchor file, run in the background: asked for by a
    person on the audit trail page, or by the hourly schedule. It keeps what it found, for the page to show."""

    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="Empty: the schedule."
    )
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=AuditCheckStatus.choices, default=AuditCheckStatus.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    events_checked = models.PositiveBigIntegerField(default=0)
    intact = models.BooleanField(null=True, blank=True, help_text="Empty until the check has finished.")
    anchor_sequence = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The last event of the anchor the chain was checked against."
    )
    problems = models.JSONField(default=list, blank=True, help_text="The first problems found: where it broke.")
    problem_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["status", "finished_at"], name="audit_check_status_idx")]
        constraints = [
            models.CheckConstraint(
                name="audit_check_result_when_done",
                condition=~Q(status="done") | Q(intact__isnull=False, finished_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"audit trail check {self.pk} ({self.status})"


class WebhookSubscription(models.Model):
    """An organisation's system that is sent, signed, every audit event its creator may see.

    Events are sent from the one after ``last_sequence`` onwards; a subscription starts at the event that
    was latest when it was created. It is never deleted: it is disabled by a person or after repeated failure.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="webhook_subscriptions")
    target_url = models.URLField("address", max_length=500)
    verbs = models.JSONField(
        default=list, blank=True, help_text="The verbs to send, such as case.triggered; empty sends every verb."
    )
    # Kept as written: the service needs it to sign every delivery. Shown once, when made or rotated.
    secret = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    last_sequence = models.PositiveBigIntegerField(
        default=0, help_text="The last audit event considered for this subscription."
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "-created_at"]
        constraints = [
            models.CheckConstraint(
                name="webhook_disabled_when_inactive",
                condition=Q(is_active=True, disabled_at__isnull=True) | Q(is_active=False, disabled_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        # The address may carry a key in its path or query, so only its host is ever shown or recorded.
        return f"Webhook {self.pk} to {urlsplit(self.target_url).hostname or 'an address'}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Gave up"


class WebhookDelivery(models.Model):
    """One event to send to one subscription: made once (unique), claimed by one worker at a time, retried
    with growing pauses until delivered or given up."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.PROTECT, related_name="deliveries")
    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-event__sequence"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once_per_event"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx")]

    def __str__(self) -> str:
        return f"Event #{self.event_id} to {self.subscription} ({self.status})"


class WebhookAttempt(models.Model):
    """One try at sending a delivery: the delivery log its organisation reads."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    succeeded = models.BooleanField(default=False)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-attempted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.delivery} at {self.attempted_at:%Y-%m-%d %H:%M:%S}"
