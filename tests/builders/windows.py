"""Maintenance windows as rex plans them."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from inventory.models import Site
from maintenance.models import Window


def make_window(
    requester, site: Site, *, start_in=timedelta(hours=2), hours=4, title="Swap optics", **extra
) -> Window:
    start = timezone.now() + start_in
    window = Window.objects.create(
        site=site,
        title=title,
        planned_start=start,
        planned_end=start + timedelta(hours=hours),
        requester=requester,
        rollback_plan="Plug it back in.",
        **extra,
    )
    return window
