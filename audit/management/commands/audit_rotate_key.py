from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from audit import keys
from audit.log import keyring, record


class Command(BaseCommand):
    help = (
        "Add a new audit key to LOCKSTEP_AUDIT_KEY_FILE; it signs every event from now on, older keys stay to "
        "verify older events. The rotation is itself an event, signed with the new key."
    )

    def handle(self, *args, **options) -> None:
        try:
            keyring()  # made first if this installation has none yet, so there is a key to rotate from
            old, new = keys.rotate()
        except ImproperlyConfigured as refused:
            raise CommandError(str(refused)) from refused
        record("audit.key_rotated", payload={"from_key": old, "to_key": new})
        self.stdout.write(
            self.style.SUCCESS(f"audit key rotated: {old} → {new}; keep a copy of {keys.key_file()}")
        )
