"""Where things are: sites, the rooms in them and their racks. Each site keeps a revision of its inventory,
so a stored blast radius can tell it is stale."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.urls import reverse

from inventory.models.circuits import circuits_between_sites, joined_sites, sites_reached


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (for example Europe/Berlin).")


class Site(models.Model):
    code = models.SlugField(max_length=32, unique=True, help_text="Short code, e.g. LAX1")
    name = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # Goes up whenever something the blast radius reads changes here (devices, ports, cables, dependencies),
    # so a stored blast radius can tell it is stale. See bump_sites below and inventory/revisions.py.
    revision = models.PositiveBigIntegerField(default=0, editable=False)
    # Evidence from the rack: at least one of the two scans of a destructive step is made with a camera
    # (the page's own, or the phone's camera app through the tag URL), not typed from a code someone read out.
    camera_scan_required = models.BooleanField(
        default=True,
        help_text="A destructive step needs at least one of its two scans made with a camera, not typed",
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs) -> None:
        # The revision is only ever bumped in the database (F() + 1). Saving an edited site (the admin) must
        # not write back the revision it read, which would undo a bump made since and hide a change.
        plain_update = not (args or kwargs.get("force_insert") or kwargs.get("force_update"))
        if (
            plain_update
            and not self._state.adding
            and self.pk is not None
            and kwargs.get("update_fields") is None
        ):
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "revision"
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("inventory:site", args=[self.code])

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @classmethod
    def lock(cls, pk: int) -> None:
        """Decisions about what may be cut at one site (an approval over a redundant pair, a cut at run time)
        are made one at a time: the second waits here and then sees the first. FOR NO KEY UPDATE, so rows
        that merely point at the site are not held up."""
        cls.objects.select_for_update(no_key=True).filter(pk=pk).values_list("pk", flat=True).get()

    @classmethod
    def lock_joined(cls, pk: int) -> set[int]:
        """Lock the site and every site its active circuits join it to (in id order, so two deciders never
        wait on each other): a redundant pair may have one half at each end. Returns the sites locked."""
        sites = joined_sites(pk)
        for site_id in sorted(sites):
            cls.lock(site_id)
        return sites


class Location(models.Model):
    """A room or cage inside a site."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="locations")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["site", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="location_unique_per_site")]

    def __str__(self) -> str:
        return f"{self.site.code} {self.name}"


class Rack(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="racks")
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="racks"
    )
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["site", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="rack_unique_per_site")]

    def __str__(self) -> str:
        return f"{self.site.code} rack {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("inventory:rack", args=[self.pk])


def bump_sites(site_ids: Iterable[int]) -> None:
    """A change at these sites: their revisions go up, and those of every site an active circuit joins them
    to, since a blast radius there reads this site's inventory too (see blast_radius.build_graph). Saves and
    deletes bump it through signals (inventory/revisions.py); code that writes in bulk calls this itself."""
    ids = {pk for pk in site_ids if pk is not None}
    if ids:
        _ports, neighbours = circuits_between_sites()
        for pk in list(ids):
            ids |= sites_reached(pk, neighbours)
        Site.objects.filter(pk__in=ids).update(revision=F("revision") + 1)
