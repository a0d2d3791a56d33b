from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from accounts.audit import audit_chain_verify


class Command(BaseCommand):
    help = "Recomputes the audit trail's hash chain; exits 1 if any event was edited, deleted or reordered."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        if report.intact:
            self.stdout.write(self.style.SUCCESS(f"The audit chain is intact ({report.checked} events)."))
            return
        for problem in report.problems:
            self.stderr.write(problem)
        self.stderr.write(self.style.ERROR(f"The audit chain is broken: {len(report.problems)} problem(s)."))
        sys.exit(1)
