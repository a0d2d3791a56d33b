from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from failure_regime.demo import DEMO_BACKUP_CODES, DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Creates demo organisations and one demo user per role (local use only; refuses DEBUG=false)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates users with a published password, so it runs only with DEBUG=true.")
        users = seed_demo()
        # The apps above the regime add their own demo data through their AppConfig, so that this command
        # needs to know none of them.
        for config in apps.get_app_configs():
            seed_app = getattr(config, "seed_demo", None)
            if callable(seed_app):
                seed_app()
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in at http://127.0.0.1:8000/sign-in/ as:"))
        width = max(len(u.email) for u in users)
        for user in users:
            self.stdout.write(f"  {user.email.ljust(width)}  {user.role.label} ({user.ods_code})")
        self.stdout.write(f"Password for every demo user: {DEMO_PASSWORD}")
        self.stdout.write(
            f"Security code: a backup code, {DEMO_BACKUP_CODES[0]} to {DEMO_BACKUP_CODES[-1]} "
            "(each works once per user; running seed_demo again restores them)."
        )
