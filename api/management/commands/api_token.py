"""``manage.py api_token <username> [--renew]``: print the API token of a user (docs/api.md)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from api.services import api_token_issue


class Command(BaseCommand):
    help = "Print the API token of a user, creating it if needed (--renew replaces it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--renew", action="store_true", help="replace the token; the old one stops working"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}")
        try:
            token = api_token_issue(user=user, by=None, renew=options["renew"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(token.key)
