"""How an episode of special measures is told, to the public and to staff: what it is now, or how it ended.

A date that has passed is told as what happened, or as what was due and did not happen; never as a promise.
Leaving special measures and losing the registration are different ends and are never told alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Max, Q, QuerySet

from accounts.models import Organisation
from failure_regime.dates import long_date
from failure_regime.models import Episode, EpisodeStatus, InspectionKind


@dataclass(frozen=True)
class EpisodeStory:
    episode: Episode
    headline: str
    sentences: list[str]
    reinspection_overdue: bool

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def _reinspection(episode: Episode, today: date, reinspected_on: date | None) -> tuple[list[str], bool]:
    due = episode.extended_until or episode.reinspection_due_on
    said: list[str] = []
    if episode.extended_until:
        said.append(f"After re-inspection, special measures were extended until {long_date(episode.extended_until)}.")
    elif reinspected_on is not None:
        said.append(f"The Care Quality Commission re-inspected it on {long_date(reinspected_on)}.")
    if reinspected_on is not None and not episode.extended_until:
        return said, False
    if due >= today:
        said.append(f"The Care Quality Commission must inspect it again by {long_date(due)}.")
        return said, False
    said.append(f"Re-inspection was due by {long_date(due)}.")
    return said, True


def episode_story(episode: Episode, *, today: date, reinspected_on: date | None = None) -> EpisodeStory:
    """The episode in plain words. ``reinspected_on`` is its latest re-inspection carried out, if any."""
    entered = long_date(episode.entered_on)
    if episode.status == EpisodeStatus.OPEN:
        sentences, overdue = _reinspection(episode, today, reinspected_on)
        return EpisodeStory(
            episode,
            "In special measures",
            [f"In special measures since {entered}.", "It must publish its progress every month.", *sentences],
            overdue,
        )
    ended = long_date(episode.exited_on or episode.entered_on)
    if episode.status == EpisodeStatus.REGISTRATION_CANCELLED:
        return EpisodeStory(
            episode,
            f"Registration cancelled on {ended}",
            [
                f"In special measures from {entered}.",
                f"The Care Quality Commission cancelled its registration on {ended}, so it may no longer provide "
                "this care. It did not leave special measures by improving.",
            ],
            False,
        )
    after = (
        f", after the Care Quality Commission re-inspected it on {long_date(reinspected_on)}" if reinspected_on else ""
    )
    extended = (
        [f"Special measures had been extended until {long_date(episode.extended_until)}."]
        if episode.extended_until
        else []
    )
    return EpisodeStory(
        episode,
        f"Left special measures on {ended}",
        [f"In special measures from {entered}.", *extended, f"It left special measures on {ended}{after}."],
        False,
    )


def with_last_reinspection(episodes: QuerySet[Episode]) -> QuerySet[Episode]:
    return episodes.annotate(
        last_reinspected_on=Max("inspections__carried_out_on", filter=Q(inspections__kind=InspectionKind.REINSPECTION))
    )


def provider_stories(*, provider: Organisation, today: date) -> list[EpisodeStory]:
    """Every episode of the provider, newest first, in plain words. Public: dates and outcomes only."""
    episodes = with_last_reinspection(Episode.objects.filter(provider=provider)).order_by("-entered_on", "-pk")
    return [episode_story(e, today=today, reinspected_on=getattr(e, "last_reinspected_on", None)) for e in episodes]
