"""Demo data of structured judgement reviews: submitted reviews for some of each demo cohort's assignments,
including patients reviewed twice so that the findings show agreement, one safety concern, and one published
summary. The demo expert reviewer's own assignments are left for them to do in the browser. Nothing is added to a
cohort that already has a submitted review, so running it again changes nothing; with no assignments it does
nothing."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from django.db import transaction

from accounts.models import User
from reviews.models import (
    Assignment,
    AssignmentKind,
    Cohort,
    EventKind,
    JudgementStatus,
    Phase,
    ProblemType,
    StructuredJudgement,
)
from reviews.selectors.judgement import patients_reviewed
from reviews.selectors.team import investigation_lead, review_managers
from reviews.services.judgement import findings_publish, judgement_submit

# The demo reviewer signs in to do their own reviews.
LEFT_FOR_THE_BROWSER = "expert.reviewer@nhs-england.example"
DOUBLE_REVIEWED = 10
SINGLE_REVIEWED = 12

NOTES = {
    1: "Care fell well short: deterioration was not recognised and escalation came far too late.",
    2: "Several lapses: observations were missed and a senior review was delayed.",
    3: "Adequate care, with some delays that did not change the outcome.",
    4: "Good care: timely assessment and a clear plan, well documented.",
    5: "Excellent care throughout, with prompt senior involvement and clear communication.",
}
PROBLEMS_BY_RATING = {
    1: [ProblemType.MONITORING, ProblemType.TREATMENT, ProblemType.ASSESSMENT],
    2: [ProblemType.MONITORING, ProblemType.MEDICATION],
    3: [ProblemType.ASSESSMENT],
    4: [],
    5: [],
}


def _review(rng: random.Random, overall: int, is_death: bool) -> dict[str, Any]:
    phases = [Phase.ADMISSION, Phase.ONGOING] + ([Phase.END_OF_LIFE] if is_death else [])
    changes: dict[str, Any] = {}
    for phase in phases:
        rating = min(5, max(1, overall + rng.choice([-1, 0, 0, 1])))
        changes[f"{phase}_rating"] = rating
        changes[f"{phase}_narrative"] = NOTES[rating]
    # Poorer care, likelier avoidable: 1 to 3 is more likely than not.
    avoidability = min(6, max(1, overall + rng.choice([0, 1, 1, 2])))
    return {
        **changes,
        "overall_rating": overall,
        "overall_narrative": NOTES[overall],
        "problem_types": PROBLEMS_BY_RATING[overall],
        "avoidability": avoidability,
    }


def _second_opinion(rng: random.Random, first: int) -> int:
    # Reviewers mostly agree, sometimes by one point apart.
    return first if rng.random() < 0.7 else min(5, max(1, first + rng.choice([-1, 1])))


def _submit(assignment: Assignment, changes: dict[str, Any]) -> None:
    user = assignment.reviewer.user
    if user is None or not user.is_active:
        return
    judgement_submit(actor=user, assignment=assignment, changes=changes)


def _seed_cohort(cohort: Cohort) -> None:
    assignments = list(
        Assignment.objects.filter(Assignment.ACTIVE, patient__cohort=cohort, reviewer__user__isnull=False)
        .exclude(reviewer__user__email=LEFT_FOR_THE_BROWSER)
        .select_related("patient", "reviewer__user")
        .order_by("patient__reference", "kind")
    )
    by_patient: dict[int, dict[str, Assignment]] = defaultdict(dict)
    for assignment in assignments:
        by_patient[assignment.patient_id][assignment.kind] = assignment
    doubles = [p for p in by_patient.values() if len(p) == 2][:DOUBLE_REVIEWED]
    singles = [p for p in by_patient.values() if set(p) == {AssignmentKind.FIRST}][:SINGLE_REVIEWED]
    concern_raised = False
    for pair in doubles + singles:
        first = pair[AssignmentKind.FIRST]
        rng = random.Random(first.patient.reference)  # noqa: S311 - demo data, not security
        is_death = first.patient.event_kind == EventKind.DEATH
        overall = rng.choice([1, 2, 3, 3, 4, 4, 4, 5]) if AssignmentKind.SECOND in pair else rng.choice([3, 4, 4, 5])
        changes = _review(rng, overall, is_death)
        if not concern_raised and overall <= 2:
            changes |= {
                "safety_concern": True,
                "safety_concern_detail": "Resuscitation trolley checks on the delivery suite were not being done.",
            }
            concern_raised = True
        _submit(first, changes)
        if AssignmentKind.SECOND in pair:
            _submit(pair[AssignmentKind.SECOND], _review(rng, _second_opinion(rng, overall), is_death))
    _publish(cohort)


def _publish(cohort: Cohort) -> None:
    case = cohort.case
    publisher: User | None = investigation_lead(case=case) or review_managers(case=case).first()
    if publisher is None or cohort.summaries.exists() or not patients_reviewed(cohort=cohort):
        return
    findings_publish(
        actor=publisher,
        case=case,
        title="What the review of patients' notes has found so far",
        body=(
            "Experts who do not work there have looked at the care of the first patients. They used a set way to "
            "score care, made by the Royal College of Physicians. Most care was good enough or good. For some "
            "patients, they found that staff did not check them often enough. Or staff did not get a senior doctor "
            "soon enough. We have asked the trust to fix this now. We will publish a fuller report when more of the "
            "review is done."
        ),
    )


def seed() -> None:
    for cohort in Cohort.objects.select_related("case"):
        submitted = StructuredJudgement.objects.filter(
            assignment__patient__cohort=cohort, status=JudgementStatus.SUBMITTED
        )
        if submitted.exists():
            continue
        with transaction.atomic():
            _seed_cohort(cohort)
