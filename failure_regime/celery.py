"""The Celery application. Deadlines live in the database; beat only runs periodic sweeps."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "failure_regime.settings")

app = Celery("failure_regime")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _create_broker_folders(sender: Celery, **kwargs: object) -> None:
    # The embedded file-system broker needs its folders before the first message.
    for folder in (getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}).values():
        if isinstance(folder, str):
            Path(folder).mkdir(parents=True, exist_ok=True)
