"""Writes of reviews, by sub-domain: the registry and appointments, recruitment, the cohort and its assignment,
and structured judgement reviews."""

from reviews.services.registry import (
    REGISTRY_ROLES,
    appointment_make,
    conflict_waive,
    employment_add,
    expert_register,
    interest_declare,
    registration_number_normalise,
    training_record,
)

__all__ = [
    "REGISTRY_ROLES",
    "appointment_make",
    "conflict_waive",
    "employment_add",
    "expert_register",
    "interest_declare",
    "registration_number_normalise",
    "training_record",
]
