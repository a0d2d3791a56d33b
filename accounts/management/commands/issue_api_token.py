from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.services import api_token_issue


class Command(BaseCommand):
    help = (
        "Issues a new API token for the person with this e-mail address, revoking their earlier one, as if they had "
        "made it on the API access page. Prints only the token, which cannot be shown again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip(), is_active=True).first()
        if user is None:
            raise CommandError(f"No active account has the address {options['email']}.")
        issued = api_token_issue(actor=user)
        self.stdout.write(issued.key)
        self.stderr.write(f"The token works until {issued.expiry:%Y-%m-%d %H:%M %Z}.")
