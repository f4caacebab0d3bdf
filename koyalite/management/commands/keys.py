"""`koyalite keys [--json]`: print the project's URL and API keys."""

from __future__ import annotations

import json

from django.conf import settings

from accounts import keys
from koyalite.commands import KoyaCommand
from koyalite.errors import ConfigurationError


class Command(KoyaCommand):
    help = "Print the API URL, the anon key and the service_role key."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        if len(settings.JWT_SECRET.encode()) < 32:
            raise ConfigurationError(
                "KOYALITE_JWT_SECRET is missing or shorter than 32 bytes; run `koyalite init`"
            )
        values = {
            "url": settings.API_URL,
            "anon_key": keys.anon_key(),
            "service_role_key": keys.service_role_key(),
        }
        if options["json"]:
            self.stdout.write(json.dumps(values))
            return
        self.stdout.write(f"API URL:          {values['url']}")
        self.stdout.write(f"anon key:         {values['anon_key']}")
        self.stdout.write(f"service_role key: {values['service_role_key']}")
        self.stdout.write(
            "Never send the service_role key to a browser: it bypasses row-level security."
        )
