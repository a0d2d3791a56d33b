"""The single failure regime: the project's wiring and the regime's own domain."""

from failure_regime.celery import app as celery_app

__all__ = ["celery_app"]
