from __future__ import annotations

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from inventory.netbox_api import NetBoxError, import_netbox_api


class Command(BaseCommand):
    help = (
        "Import sites, locations, racks, devices, ports and cables from a NetBox server's REST API, all or "
        "nothing. Safe to run again: it updates, never duplicates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", required=True, help="NetBox's address, e.g. https://netbox.example.com")
        parser.add_argument(
            "--token",
            default=os.environ.get("NETBOX_TOKEN", ""),
            help="a NetBox API token that may read dcim (default: $NETBOX_TOKEN, which keeps it out of ps)",
        )
        parser.add_argument("--site", help="import only the site with this NetBox slug")
        parser.add_argument("--as", dest="username", help="the user the audit log names for this import")
        parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each page")

    def handle(
        self, *args, url: str, token: str, site: str | None, username: str | None, timeout: float, **options
    ) -> None:
        if not token:
            raise CommandError("give a NetBox API token with --token or $NETBOX_TOKEN")
        user = None
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"there is no user {username!r}")
        try:
            report = import_netbox_api(url, token, by=user, site=site, timeout=timeout)
        except NetBoxError as exc:
            raise CommandError(f"{exc}; nothing was imported") from None
        if not report.ok:
            self.stderr.write(report.summary())
            raise CommandError(f"import refused: {report.error_count} error(s); nothing was written")
        self.stdout.write(report.summary())
