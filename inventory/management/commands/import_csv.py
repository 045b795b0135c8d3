from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from inventory.importers import FILE_NAMES, import_netbox_csv, kind_from_filename, max_upload_bytes


class Command(BaseCommand):
    help = (
        "Import NetBox bulk-import CSV files (devices, interfaces, rear ports, front ports, cables; the kind "
        "comes from each file's name), all or nothing. Safe to run again: it updates, never duplicates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument(
            "--as", dest="username", required=True, help="the user the audit log names for this import"
        )

    def handle(self, *args, files: list[str], username: str, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"there is no user {username!r}")
        limit = max_upload_bytes()
        contents: dict[str, bytes] = {}
        for name in files:
            path = Path(name)
            if kind_from_filename(path.name) is None:
                raise CommandError(f"{name}: the name does not say what it holds; call it {FILE_NAMES}")
            if path.name in contents:
                raise CommandError(f"{name}: two files are called {path.name}; rename one")
            try:
                # Checked before reading, so a wrong multi-gigabyte file is never loaded into memory.
                if path.stat().st_size > limit:
                    raise CommandError(f"{name}: larger than the {limit / 1_048_576:.0f} MB limit; split it")
                contents[path.name] = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"{name}: {exc.strerror or exc}") from None
        report = import_netbox_csv(contents, by=user)
        if not report.ok:
            self.stderr.write(report.summary())
            raise CommandError(f"import refused: {report.error_count} error(s); nothing was written")
        self.stdout.write(report.summary())
