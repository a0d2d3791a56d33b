"""How an episode of special measures is told, to the public and to staff: what it is now, or how it ended.

A date that has passed is told as what happened, or as what was due and did not happen; never as a promise.
Leaving special measures and losing the registration are different ends and are never told alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from accounts.models import Organisation
from failure_regime.dates import long_date
from failure_regime.models import Episode, EpisodeStatus
from failure_regime.selectors import with_last_reinspection


@dataclass(frozen=True)
class EpisodeStory:
    episode: Episode
    headline: str
    sentences: list[str]
    reinspection_overdue: bool

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def reinspection_overdue(
    *, status: str, reinspection_due_on: date, extended_until: date | None, reinspected_on: date | None, today: date
) -> bool:
    """Whether CQC is late re-inspecting: the episode is open, the date it had to inspect by (the re-inspection
    due date, or the end of an extension) has passed, and no re-inspection has been carried out. An extension
    follows a re-inspection, so once extended only the end of the extension counts. The one rule for the staff
    pages, the public provider page and the public register."""
    if status != EpisodeStatus.OPEN:
        return False
    if reinspected_on is not None and extended_until is None:
        return False
    return (extended_until or reinspection_due_on) < today


def episode_reinspection_overdue(episode: Episode, *, today: date) -> bool:
    """``reinspection_overdue`` for an episode read with ``with_last_reinspection``."""
    return reinspection_overdue(
        status=episode.status,
        reinspection_due_on=episode.reinspection_due_on,
        extended_until=episode.extended_until,
        reinspected_on=getattr(episode, "reinspected_on", None),
        today=today,
    )


def ending(*, status: str, ended_on: date | None) -> str:
    """How an episode ended, as a headline: leaving special measures and losing the registration are never told
    alike. Empty for an episode still open."""
    when = f" on {long_date(ended_on)}" if ended_on else ""
    if status == EpisodeStatus.EXITED:
        return f"Left special measures{when}"
    if status == EpisodeStatus.REGISTRATION_CANCELLED:
        return f"Registration cancelled{when}"
    return ""


def _reinspection(episode: Episode, today: date, reinspected_on: date | None) -> tuple[list[str], bool]:
    due = episode.extended_until or episode.reinspection_due_on
    overdue = reinspection_overdue(
        status=episode.status,
        reinspection_due_on=episode.reinspection_due_on,
        extended_until=episode.extended_until,
        reinspected_on=reinspected_on,
        today=today,
    )
    said: list[str] = []
    if episode.extended_until:
        said.append(f"After re-inspection, special measures were extended until {long_date(episode.extended_until)}.")
    elif reinspected_on is not None:
        said.append(f"The Care Quality Commission re-inspected it on {long_date(reinspected_on)}.")
    if reinspected_on is not None and not episode.extended_until:
        return said, False
    if overdue:
        said.append(f"Re-inspection was due by {long_date(due)}.")
    else:
        said.append(f"The Care Quality Commission must inspect it again by {long_date(due)}.")
    return said, overdue


def episode_story(episode: Episode, *, today: date) -> EpisodeStory:
    """The episode in plain words; read it with ``with_last_reinspection`` to tell its latest re-inspection."""
    reinspected_on: date | None = getattr(episode, "reinspected_on", None)
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
            ending(status=episode.status, ended_on=episode.exited_on),
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
        ending(status=episode.status, ended_on=episode.exited_on),
        [f"In special measures from {entered}.", *extended, f"It left special measures on {ended}{after}."],
        False,
    )


def provider_stories(*, provider: Organisation, today: date) -> list[EpisodeStory]:
    """Every episode of the provider, newest first, in plain words. Public: dates and outcomes only."""
    episodes = with_last_reinspection(Episode.objects.filter(provider=provider)).order_by("-entered_on", "-pk")
    return [episode_story(e, today=today) for e in episodes]
