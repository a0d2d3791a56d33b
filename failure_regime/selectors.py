"""Reads of the regime that depend on who is asking. Lists and single objects come from the same
queryset, so a list never shows what the detail would refuse, and the detail answers 404 for what
the list would not show."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from guardian.models import GroupObjectPermission, UserObjectPermission
from guardian.shortcuts import get_objects_for_user

from accounts.audit import audit_events_for
from accounts.models import AuditEvent, Membership, Organisation, Role, User
from accounts.visibility import timeline_events_q
from failure_regime.models import (
    DECIDED_STATUSES,
    Action,
    CalendarFeed,
    Case,
    CaseParty,
    CaseStatus,
    Concern,
    Deadline,
    EnforcementAction,
    Episode,
    EpisodeStatus,
    Extension,
    Inspection,
    InspectionKind,
    Intervention,
    InterventionKind,
    InterventionStatus,
    MonthlyReport,
    Notification,
    Recommendation,
    RecommendationStatus,
    ReportStatus,
    Responsibility,
    SignOff,
)
from failure_regime.permissions import OVERSEER_ROLES, PLAN_ROLES, RECOMMENDATION_DECIDER_ROLES, SIGN_OFF_ROLE_BY_KIND
from failure_regime.ratings import recommendable


def _overseen_by(user: User) -> Q:
    """Objects about providers whose oversight body the user belongs to, read from the provider as it is now,
    so that a change of oversight body moves access at once."""
    return Q(provider__oversight_body__in=Organisation.objects.filter(memberships__user=user))


def _granted_or_overseen(user: User, perm: str, model: type[Any]) -> QuerySet[Any]:
    """Objects granted to the user's organisations or about providers they oversee; all of them with the
    model-wide permission, without asking the database to compare every row with every row."""
    if user.has_perm(perm):
        everything: QuerySet[Any] = model.objects.all()
        return everything
    granted, overseen = _access(user, [perm])
    visible: QuerySet[Any] = model.objects.filter(granted[perm].q("pk") | overseen.q("provider"))
    return visible


def concern_list_for_user(*, user: User) -> QuerySet[Concern]:
    """Concerns the user may see: their organisation's, those about providers it oversees, or all (CQC, national).
    The provider itself never sees them: they may come from whistleblowers."""
    concerns: QuerySet[Concern] = _granted_or_overseen(user, "failure_regime.view_concern", Concern)
    return concerns.select_related("provider", "raised_by", "raised_by_organisation")


def concern_get_for_user(*, user: User, pk: int) -> Concern:
    return get_object_or_404(concern_list_for_user(user=user), pk=pk)


def _overdue() -> Exists:
    return Exists(Deadline.objects.filter(case=OuterRef("pk"), met_at__isnull=True, due_at__lt=timezone.now()))


def _missing_lead() -> Exists:
    return Exists(Responsibility.objects.filter(case=OuterRef("pk"), lead__isnull=True))


def case_list_for_user(*, user: User) -> QuerySet[Case]:
    """Cases the user may see: where their organisation is a party (a provider's own cases), or all for
    national oversight."""
    perm = "failure_regime.view_case"
    cases = (
        Case.objects.all()
        if user.has_perm(perm)
        else Case.objects.filter(_access(user, [perm], overseen=False)[0][perm].q("pk"))
    )
    return cases.select_related("provider").annotate(is_overdue=_overdue(), is_missing_lead=_missing_lead())


def case_get_for_user(*, user: User, pk: int) -> Case:
    return get_object_or_404(case_list_for_user(user=user), pk=pk)


def case_detail(*, case: Case) -> Case:
    """The case with everything its page shows, in a fixed number of queries."""
    return (
        Case.objects.filter(pk=case.pk)
        .select_related("provider", "proposed_by", "proposed_by_organisation")
        .prefetch_related(
            Prefetch("parties", queryset=CaseParty.objects.select_related("organisation")),
            Prefetch(
                "sign_offs", queryset=SignOff.objects.select_related("organisation", "decided_by", "withdrawn_by")
            ),
            Prefetch(
                "responsibilities",
                queryset=Responsibility.objects.select_related("lead", "lead_organisation").prefetch_related(
                    "responsible", "consulted"
                ),
            ),
            "terms_versions",
            Prefetch("deadlines", queryset=Deadline.objects.filter(met_at__isnull=True)),
        )
        .annotate(is_overdue=_overdue(), is_missing_lead=_missing_lead())
        .get()
    )


def lead_candidates(*, case: Case) -> QuerySet[User]:
    """The people who may be appointed a lead of ``case``: active members of its parties, by name, each with
    their memberships of the parties (``party_memberships``) so a picker can say where they work. Two queries."""
    parties = CaseParty.objects.filter(case=case).values("organisation")
    return (
        User.objects.filter(is_active=True, memberships__organisation__in=parties)
        .distinct()
        .order_by("full_name", "pk")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(organisation__in=parties).select_related("organisation"),
                to_attr="party_memberships",
            )
        )
    )


def case_timeline(*, case: Case, user: User) -> QuerySet[AuditEvent]:
    """Every event of the case and its parts that ``user`` may see, oldest first, read from the audit trail. The
    caller has checked that ``user`` may see the case; events about records holding personal data (which enquiries
    were linked to the case, say) show only to those who may see those records (``timeline_events_q``)."""
    return audit_events_for(obj=case).filter(timeline_events_q(user=user)).order_by("sequence")


def sign_off_organisations_for(*, user: User, case: Case) -> list[Organisation]:
    """The party organisations for which ``user`` may give a decision on ``case``."""
    parties = [p.organisation for p in case.parties.all()]
    memberships = user.memberships.filter(organisation__in=parties).values_list("organisation_id", "role")
    allowed = {
        org_id
        for org_id, role in memberships
        if any(p.pk == org_id and SIGN_OFF_ROLE_BY_KIND[p.kind] == role for p in parties)
    }
    return [p for p in parties if p.pk in allowed]


def cases_awaiting_sign_off(*, user: User) -> QuerySet[Case]:
    """Proposed cases where one of the user's organisations, through the user's sign-off role, has not decided."""
    signatory = Q()
    for kind, role in SIGN_OFF_ROLE_BY_KIND.items():
        signatory |= Q(
            organisation__kind=kind, organisation__memberships__user=user, organisation__memberships__role=role
        )
    awaiting = CaseParty.objects.filter(signatory, case=OuterRef("pk")).exclude(
        Exists(
            SignOff.objects.filter(
                case=OuterRef("case"), organisation=OuterRef("organisation"), withdrawn_at__isnull=True
            )
        )
    )
    return case_list_for_user(user=user).filter(Exists(awaiting), status=CaseStatus.PROPOSED)


def cases_missing_a_lead(*, user: User) -> QuerySet[Case]:
    """Open cases (not closed) that the user may see and that still lack an accountable lead somewhere."""
    return case_list_for_user(user=user).filter(_missing_lead()).exclude(status=CaseStatus.CLOSED)


def cases_to_appoint_leads_for(*, user: User) -> QuerySet[Case]:
    """The open cases missing a lead whose leads ``user`` appoints (``permissions.case_overseer_membership``, the
    rule ``lead_hand_over`` applies), oldest first: any the user may see for national oversight, otherwise those
    with a party where the user is a regulator decision-maker or an oversight lead."""
    cases = cases_missing_a_lead(user=user)
    if not user.memberships.filter(role=Role.NATIONAL_OVERSIGHT).exists():
        overseeing = user.memberships.filter(role__in=OVERSEER_ROLES).values("organisation")
        cases = cases.filter(pk__in=CaseParty.objects.filter(organisation__in=overseeing).values("case"))
    return cases.order_by("proposed_at", "pk")


def enforcement_list_for_user(*, user: User) -> QuerySet[EnforcementAction]:
    actions: QuerySet[EnforcementAction] = _granted_or_overseen(
        user, "failure_regime.view_enforcementaction", EnforcementAction
    )
    return actions.select_related("provider", "case", "recorded_by_organisation")


def enforcement_get_for_user(*, user: User, pk: int) -> EnforcementAction:
    return get_object_or_404(enforcement_list_for_user(user=user), pk=pk)


@dataclass(frozen=True)
class _Keys:
    """Which objects something admits: their keys when there are few, written into the query so that an index
    answers it; otherwise a subquery, whose plan does not grow with them."""

    keys: list[int] | None
    subqueries: tuple[QuerySet[Any], ...] = ()

    def q(self, field: str) -> Q:
        if self.keys is not None:
            return Q(**{f"{field}__in": self.keys})
        admitted = Q(pk__in=[])
        for subquery in self.subqueries:
            admitted |= Q(**{f"{field}__in": subquery})
        return admitted


# Up to this many keys of granted objects are written into a query. Providers overseen are fewer than objects
# and are written into it up to a larger number: every trust in England is about 200 of them.
_KEYS_IN_QUERY = 200
_PROVIDERS_IN_QUERY = 5000


@dataclass
class _Remembered:
    granted: dict[str, _Keys]
    providers: _Keys


# The questions the regime's selectors ask, read together the first time inside ``access_read_once``.
_READ_TOGETHER = frozenset(
    {
        "failure_regime.view_case",
        "failure_regime.view_concern",
        "failure_regime.view_enforcementaction",
        "failure_regime.view_episode",
        "failure_regime.view_recommendation",
    }
)


@contextmanager
def access_read_once(user: User) -> Iterator[None]:
    """Within this block, what ``user`` may see is read once, for every selector together, and then remembered:
    for a page that asks many selectors in a row and changes nothing meanwhile (the home page's work sources).
    Outside it, every selector reads afresh, so that a grant made a moment ago counts."""
    user._access_read_once = None  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del user._access_read_once  # type: ignore[attr-defined]


def _access(user: User, perms: Iterable[str], *, overseen: bool = True) -> tuple[dict[str, _Keys], _Keys]:
    """What the user may see besides model-wide permissions (``_read_access``): for each of ``perms``, the objects
    granted one by one to the user or to their organisations; and (with ``overseen``) the providers whose
    oversight body the user belongs to, read as they are now, so that a change of oversight body moves access at
    once. Inside ``access_read_once``, read once for all the regime's questions."""
    perms = set(perms)
    if not hasattr(user, "_access_read_once"):
        return _read_access(user, perms, overseen=overseen)
    remembered: _Remembered | None = user._access_read_once
    if remembered is None or not perms <= remembered.granted.keys():
        asked = perms | (_READ_TOGETHER if remembered is None else set())
        granted, providers = _read_access(user, asked, overseen=True)
        if remembered is not None:
            granted = {**remembered.granted, **granted}
        remembered = user._access_read_once = _Remembered(granted, providers)
    return {perm: remembered.granted[perm] for perm in perms}, remembered.providers if overseen else _Keys([])


def _read_access(user: User, perms: Iterable[str], *, overseen: bool) -> tuple[dict[str, _Keys], _Keys]:
    """For each of ``perms``, the objects granted one by one to the user or their organisations; and (with
    ``overseen``) the providers whose oversight body the user belongs to. Each is read one past what a query holds,
    which is enough to choose the subquery instead: CQC, a party to every case, has tens of thousands of grants,
    and reading them all cost more than the pages they admit. One query: a union of
    the parts, each limited where the database allows it (PostgreSQL; SQLite, the embedded default, reads them
    whole)."""
    perms = sorted(set(perms))
    if not user.is_authenticated:
        return {perm: _Keys([]) for perm in perms}, _Keys([])
    # Each permission's key as a scalar subquery, read once per query, so that each part reads the grants' index
    # (owner, permission, object) by both.
    permissions = {perm: _permission_key(perm) for perm in perms}
    limited = connection.features.supports_slicing_ordering_in_compound
    keys_limit, providers_limit = (_KEYS_IN_QUERY + 1, _PROVIDERS_IN_QUERY + 1) if limited else (None, None)
    parts = [
        model.objects.filter(owner, permission=permissions[perm])
        .order_by()
        .values_list(Value(index), "object_pk")[:keys_limit]
        for index, perm in enumerate(perms)
        for model, owner in _grant_owners(user)
    ]
    overseen_providers = Organisation.objects.filter(oversight_body__memberships__user=user).order_by()
    if overseen:
        parts.append(overseen_providers.values_list(Value(-1), Cast("pk", CharField())).distinct()[:providers_limit])
    rows = parts[0].union(*parts[1:], all=True) if parts else []
    found: list[list[int]] = [[] for _ in perms]
    providers: list[int] = []
    for index, key in rows:
        (providers if index < 0 else found[index]).append(int(key))
    granted = {
        perm: _Keys(keys) if len(keys) <= _KEYS_IN_QUERY else _granted_by_subquery(user, permissions[perm])
        for perm, keys in zip(perms, found, strict=True)
    }
    if len(providers) <= _PROVIDERS_IN_QUERY:
        return granted, _Keys(providers)
    return granted, _Keys(None, (overseen_providers.values("pk"),))


def _permission_key(perm: str) -> Subquery:
    """The key of the permission called ``perm`` ("app_label.codename"), as a subquery."""
    app_label, codename = perm.split(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return Subquery(permission.order_by().values("pk")[:1])


def _granted_by_subquery(user: User, permission: Subquery) -> _Keys:
    """The objects granted a permission one by one to the user or their organisations, as subqueries by the
    permission's key (``_permission_key``), so that the grants' index (owner, permission, object) is read for this
    one only."""
    return _Keys(
        None,
        tuple(
            model.objects.filter(owner, permission=permission)
            .annotate(key=Cast("object_pk", BigIntegerField()))
            .values("key")
            for model, owner in _grant_owners(user)
        ),
    )


def _grant_owners(user: User) -> tuple[tuple[type[Any], Q], ...]:
    """Where a user's grants are kept: their organisations' groups' and their own."""
    return ((GroupObjectPermission, Q(group__user=user)), (UserObjectPermission, Q(user=user)))


def deadline_list_for_user(*, user: User) -> QuerySet[Deadline]:
    """Open deadlines the user may see, soonest first: each is visible exactly when its subject is (a case's
    sign-off, an immediate concern's assessment, an enforcement action's compliance date, an episode's
    re-inspection or its monthly reports and interventions, a decision on a recommendation, an item of a case's
    communications plan).

    The rule is the subjects' own (``case_list_for_user``, ``concern_list_for_user``, ``enforcement_list_for_user``,
    the episodes' and the recommendations'), written so that the database answers it from indexes on the deadline
    row: a model-wide permission admits every deadline of that kind; "about a provider the user's organisation
    oversees" is read from the deadline's own provider, which is always its subject's; and what was granted object
    by object is read first (a few rows), so the list asks for those subjects by key."""
    types = ContentType.objects.get_for_models(
        Case, Concern, EnforcementAction, Episode, MonthlyReport, Recommendation, Intervention
    )
    subjects = {
        "failure_regime.view_case": Case,
        "failure_regime.view_concern": Concern,
        "failure_regime.view_enforcementaction": EnforcementAction,
        "failure_regime.view_episode": Episode,
        "failure_regime.view_recommendation": Recommendation,
    }
    everything = {perm for perm in subjects if user.has_perm(perm)}
    granted, providers = _access(user, set(subjects) - everything)
    overseen = providers.q("provider")
    episode_parts = [types[MonthlyReport].pk, types[Intervention].pk]
    visible = Q(pk__in=[])
    # Overseen: every kind but cases (seen by their parties only), and an episode's parts with the episode.
    overseen_kinds = [types[m].pk for p, m in subjects.items() if p not in everything and m is not Case]
    if "failure_regime.view_episode" not in everything:
        overseen_kinds += episode_parts
    if overseen_kinds:
        visible |= Q(subject_type__in=overseen_kinds) & overseen
    for perm, model in subjects.items():
        kind = Q(subject_type=types[model].pk)
        visible |= kind if perm in everything else kind & granted[perm].q("subject_id")
    # An episode's monthly reports and interventions are seen with the episode.
    if "failure_regime.view_episode" in everything:
        visible |= Q(subject_type__in=episode_parts)
    else:
        # Those of episodes granted to the user's organisations (an overseen provider's are already in): read by
        # key when the episodes are few, otherwise by subquery.
        granted_episodes = Episode.objects.filter(granted["failure_regime.view_episode"].q("pk")).exclude(overseen)
        episodes = list(granted_episodes.values_list("pk", flat=True)[: _KEYS_IN_QUERY + 1])
        reports = MonthlyReport.objects.filter(episode__in=episodes).order_by()
        interventions = Intervention.objects.filter(episode__in=episodes).order_by()
        by_kind: dict[int, list[int]] = {}
        if episodes and len(episodes) <= _KEYS_IN_QUERY:
            parts = reports.values_list(Value(types[MonthlyReport].pk), "pk").union(
                interventions.values_list(Value(types[Intervention].pk), "pk")
            )
            for part_type, pk in parts:
                by_kind.setdefault(part_type, []).append(pk)
        if len(episodes) > _KEYS_IN_QUERY or sum(map(len, by_kind.values())) > _KEYS_IN_QUERY:
            episodes_read = granted_episodes.values("pk")
            for model in (MonthlyReport, Intervention):
                visible |= Q(
                    subject_type=types[model].pk,
                    subject_id__in=model.objects.filter(episode__in=episodes_read).values("pk"),
                )
        else:
            for part_type, pks in by_kind.items():
                visible |= Q(subject_type=part_type, subject_id__in=pks)
    # A communications plan's items are seen with their case, as the plan is.
    plan_item = Q(subject_type=ContentType.objects.get_by_natural_key("communications", "planitem").pk)
    cases = granted.get("failure_regime.view_case")
    visible |= plan_item if cases is None else plan_item & cases.q("case_id")
    return (
        Deadline.objects.filter(visible, met_at__isnull=True)
        .select_related("provider", "case", "subject_type")
        .annotate(is_overdue=ExpressionWrapper(Q(due_at__lt=timezone.now()), output_field=BooleanField()))
        .order_by("due_at", "pk")
    )


# --- Special measures -------------------------------------------------------------------------------


def _overdue_reports() -> Subquery:
    overdue = (
        MonthlyReport.objects.filter(
            episode=OuterRef("pk"),
            status__in=[ReportStatus.DUE, ReportStatus.RETURNED],
            due_on__lt=timezone.localdate(),
        )
        .order_by()
        .values("episode")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(overdue, output_field=IntegerField())


def episode_list_for_user(*, user: User) -> QuerySet[Episode]:
    """Episodes the user may see: their own provider's, those of providers their organisation oversees, or all
    for CQC and national oversight."""
    episodes: QuerySet[Episode] = _granted_or_overseen(user, "failure_regime.view_episode", Episode)
    return _with_dashboard(episodes)


def last_reinspection() -> Subquery:
    """The date of an episode's latest re-inspection carried out, for ``annotate`` on episodes."""
    return Subquery(
        Inspection.objects.filter(
            episode=OuterRef("pk"), kind=InspectionKind.REINSPECTION, carried_out_on__isnull=False
        )
        .order_by("-carried_out_on")
        .values("carried_out_on")[:1]
    )


def with_last_reinspection(episodes: QuerySet[Episode]) -> QuerySet[Episode]:
    """Each episode with ``reinspected_on``: when it was last re-inspected, if it has been."""
    return episodes.annotate(reinspected_on=last_reinspection())


def _with_dashboard(episodes: QuerySet[Episode]) -> QuerySet[Episode]:
    return with_last_reinspection(episodes.select_related("provider", "rule_set", "buddy_trust")).annotate(
        overdue_reports=Coalesce(_overdue_reports(), 0),
        next_reinspection_on=Coalesce("extended_until", "reinspection_due_on"),
    )


def episode_get_for_user(*, user: User, pk: int) -> Episode:
    return get_object_or_404(episode_list_for_user(user=user), pk=pk)


def episode_detail(*, episode: Episode) -> Episode:
    """The episode with everything its page shows, in a fixed number of queries (access already checked)."""
    return (
        _with_dashboard(Episode.objects.filter(pk=episode.pk))
        .prefetch_related(
            Prefetch("actions", queryset=Action.objects.select_related("owner", "owner_organisation")),
            Prefetch("reports", queryset=MonthlyReport.objects.order_by("-month")),
            Prefetch("inspections", queryset=Inspection.objects.order_by("-pk")),
            Prefetch(
                "extensions", queryset=Extension.objects.select_related("approved_by", "approved_by_organisation")
            ),
        )
        .select_related("case", "decided_by", "decided_by_organisation", "recommending_inspection")
        .get()
    )


def report_list_for_user(*, user: User) -> QuerySet[MonthlyReport]:
    """Monthly reports of the episodes the user may see."""
    return MonthlyReport.objects.filter(episode__in=episode_list_for_user(user=user).values("pk")).select_related(
        "episode__provider", "submitted_by", "reviewed_by"
    )


def report_get_for_user(*, user: User, pk: int) -> MonthlyReport:
    """A monthly report of an episode the user may see, or 404."""
    return get_object_or_404(report_list_for_user(user=user), pk=pk)


def episode_timeline(*, episode: Episode) -> QuerySet[AuditEvent]:
    return audit_events_for(obj=episode).order_by("sequence")


def published_reports(*, provider: Organisation) -> QuerySet[MonthlyReport]:
    """The provider's accepted monthly reports, newest first: public, and fixed once published."""
    return (
        MonthlyReport.objects.filter(episode__provider=provider, status=ReportStatus.ACCEPTED)
        .order_by("-month")
        .only("pk", "month", "snapshot", "published_at", "episode_id")
    )


# --- Work waiting for a person (see failure_regime.work) ---------------------------------------------


def responsibilities_led_by(*, user: User) -> QuerySet[Responsibility]:
    """The areas of open cases the user may see where they are the accountable lead."""
    return (
        Responsibility.objects.filter(lead=user, case__in=case_list_for_user(user=user).values("pk"))
        .exclude(case__status=CaseStatus.CLOSED)
        .select_related("case__provider", "lead_organisation")
        .order_by("case__reference", "area")
    )


def reports_to_send(*, user: User) -> QuerySet[MonthlyReport]:
    """Monthly reports due or returned for changes, of open episodes of providers where the user may send them
    (one of ``PLAN_ROLES`` at the provider, the rule the report form and ``report_submit`` apply)."""
    sender_providers = Organisation.objects.filter(
        memberships__user=user, memberships__role__in=sorted(PLAN_ROLES)
    ).values("pk")
    return report_list_for_user(user=user).filter(
        status__in=[ReportStatus.DUE, ReportStatus.RETURNED],
        episode__status=EpisodeStatus.OPEN,
        episode__provider__in=sender_providers,
    )


def reports_submitted(*, user: User) -> QuerySet[MonthlyReport]:
    """Submitted monthly reports the user may see, with what deciding who accepts them needs
    (``failure_regime.permissions.special_measures_decider``)."""
    return (
        report_list_for_user(user=user)
        .filter(status=ReportStatus.SUBMITTED)
        .select_related("episode__provider__oversight_body")
    )


# --- Notifications and the calendar feed ----------------------------------------------------------------


def notification_list_for_user(*, user: User) -> QuerySet[Notification]:
    """The user's own notifications, newest first. Nobody sees another person's."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def notification_get_for_user(*, user: User, pk: int) -> Notification:
    return get_object_or_404(notification_list_for_user(user=user), pk=pk)


def notifications_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def calendar_feed_is_live(*, user: User) -> bool:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).exists()


# --- Inspections, ratings and CQC's recommendations ----------------------------------------------------------


def _published() -> Q:
    return Q(published_on__isnull=False, published_on__lte=timezone.localdate())


def inspection_list_for_user(*, user: User) -> QuerySet[Inspection]:
    """Inspections the user may see: every published one (its ratings are public); before publication, CQC's and
    national oversight's, the provider's own and its oversight body's."""
    granted = get_objects_for_user(
        user, "failure_regime.view_inspection", klass=Inspection, accept_global_perms=True
    ).values("pk")
    mine = Organisation.objects.filter(memberships__user=user).values("pk")
    inspections: QuerySet[Inspection] = Inspection.objects.filter(
        Q(pk__in=granted) | _overseen_by(user) | Q(provider__in=mine) | _published()
    )
    return inspections.select_related("provider", "recorded_by")


def inspection_get_for_user(*, user: User, pk: int) -> Inspection:
    return get_object_or_404(inspection_list_for_user(user=user), pk=pk)


def provider_rating_history(*, user: User, provider: Organisation) -> QuerySet[Inspection]:
    """The provider's rated inspections the user may see, newest first: its rating history."""
    return (
        inspection_list_for_user(user=user)
        .filter(provider=provider)
        .exclude(overall="")
        .order_by("-carried_out_on", "-pk")
    )


def provider_current_ratings(*, providers: Iterable[Organisation | int]) -> dict[int, Inspection]:
    """Public: each provider's current published ratings, from its most recently published inspection, by provider
    id. Providers without a published inspection are left out. One query, whatever the number of providers."""
    ids = [p if isinstance(p, int) else p.pk for p in providers]
    latest = (
        Inspection.objects.filter(provider_id=OuterRef("provider_id"))
        .filter(_published())
        .exclude(overall="")
        .order_by("-published_on", "-carried_out_on", "-pk")
        .values("pk")[:1]
    )
    current = (
        Inspection.objects.filter(provider_id__in=ids, pk=Subquery(latest))
        .only(
            "pk",
            "provider_id",
            "carried_out_on",
            "published_on",
            "report_reference",
            "report_url",
            "safe",
            "effective",
            "caring",
            "responsive",
            "well_led",
            "overall",
        )
        .order_by()
    )
    return {inspection.provider_id: inspection for inspection in current}


def recommendation_list_for_user(*, user: User) -> QuerySet[Recommendation]:
    """CQC's recommendations the user may see: all for CQC and national oversight, and those about providers the
    user's organisation oversees. The provider itself sees one only once its oversight body has decided."""
    granted = get_objects_for_user(
        user, "failure_regime.view_recommendation", klass=Recommendation, accept_global_perms=True
    ).values("pk")
    mine = Organisation.objects.filter(memberships__user=user).values("pk")
    recommendations = Recommendation.objects.filter(
        Q(pk__in=granted) | _overseen_by(user) | Q(provider__in=mine, status__in=DECIDED_STATUSES)
    )
    return recommendations.select_related(
        "provider__oversight_body",
        "inspection",
        "recommended_by",
        "recommended_by_organisation",
        "decided_by",
        "decided_by_organisation",
    )


def recommendation_get_for_user(*, user: User, pk: int) -> Recommendation:
    return get_object_or_404(recommendation_list_for_user(user=user), pk=pk)


def recommendations_awaiting_decision(*, user: User) -> QuerySet[Recommendation]:
    """Recommendations waiting for the user's decision, soonest deadline first: those about providers whose
    oversight body the user is an oversight lead of (the rule ``recommendation_decide`` applies)."""
    bodies = Organisation.objects.filter(
        memberships__user=user, memberships__role__in=sorted(RECOMMENDATION_DECIDER_ROLES)
    ).values("pk")
    return (
        recommendation_list_for_user(user=user)
        .filter(status=RecommendationStatus.AWAITING_DECISION, provider__oversight_body__in=bodies)
        .order_by("decision_due_on", "pk")
    )


def inspections_to_recommend_from(*, user: User) -> QuerySet[Inspection]:
    """Inspections the user may see from which CQC may recommend special measures
    (``failure_regime.ratings.recommendable``), of trusts not in special measures and with no recommendation
    waiting."""
    busy_providers = Organisation.objects.filter(
        Q(episodes__status=EpisodeStatus.OPEN) | Q(recommendations__status=RecommendationStatus.AWAITING_DECISION)
    ).values("pk")
    return (
        inspection_list_for_user(user=user)
        .filter(recommendable())
        .exclude(provider__in=busy_providers)
        .order_by("-carried_out_on", "-pk")
    )


# --- The interventions register ------------------------------------------------------------------


def intervention_list_for_user(*, user: User) -> QuerySet[Intervention]:
    """Interventions of the episodes the user may see."""
    episodes = _granted_or_overseen(user, "failure_regime.view_episode", Episode).values("pk")
    return Intervention.objects.filter(episode__in=episodes).select_related(
        "episode__provider", "partner", "owner", "owner_organisation", "replaces", "recorded_by_organisation"
    )


def intervention_register(*, episode: Episode) -> list[Intervention]:
    """The episode's interventions in one query, grouped by kind in the order of the kinds, current before ended,
    newest first within each (access already checked)."""
    order = {kind: n for n, kind in enumerate(InterventionKind.values)}
    interventions = list(
        Intervention.objects.filter(episode=episode).select_related(
            "partner", "owner", "owner_organisation", "replaces"
        )
    )
    return sorted(
        interventions,
        key=lambda i: (order[i.kind], i.status == InterventionStatus.ENDED, -i.starts_on.toordinal(), -i.pk),
    )
