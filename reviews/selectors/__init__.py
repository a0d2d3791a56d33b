"""Reads of reviews that depend on who is asking, by sub-domain."""

from reviews.selectors.registry import (
    DEFAULT_CONFLICT_LOOKBACK_YEARS,
    INTEREST_CONFLICT_KINDS,
    Conflict,
    ConflictKind,
    conflict_lookback_start,
    conflicts_for,
    lead_candidates,
    unwaived_conflicts_for,
)

__all__ = [
    "DEFAULT_CONFLICT_LOOKBACK_YEARS",
    "INTEREST_CONFLICT_KINDS",
    "Conflict",
    "ConflictKind",
    "conflict_lookback_start",
    "conflicts_for",
    "lead_candidates",
    "unwaived_conflicts_for",
]
