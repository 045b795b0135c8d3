from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from live.models import DeviceAccess
from live.tasks import read_serial


class Command(BaseCommand):
    help = (
        "Ask devices with live checks for their chassis serial (NAPALM get_facts) and keep it as a reading of its "
        "own. A serial that disagrees with the inventory raises a discrepancy; the inventory is never overwritten."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "devices", nargs="*", help="device names (default: every device with live checks)"
        )
        parser.add_argument("--site", help="only devices at this site code")
        parser.add_argument("--by", required=True, help="the username on record as having asked")

    def handle(self, *args, devices: list[str], site: str | None, by: str, **options) -> None:
        person = get_user_model().objects.filter(username=by, is_active=True).first()
        if person is None:
            raise CommandError(f"no active user called {by!r}")
        accesses = (
            DeviceAccess.objects.filter(enabled=True).select_related("device__site").order_by("device__name")
        )
        if site:
            accesses = accesses.filter(device__site__code=site)
        if devices:
            accesses = accesses.filter(device__name__in=devices)
            missing = sorted(set(devices) - set(accesses.values_list("device__name", flat=True)))
            if missing:
                raise CommandError(f"no live checks set up for: {', '.join(missing)}")
        if not accesses:
            raise CommandError("no device with live checks matches")
        for access in accesses:
            # Asked from here, not a request: a device that does not answer costs its timeout and tries.
            said = read_serial.call(access.device_id, person.pk)
            self.stdout.write(f"{access.device.name}: {said}")
