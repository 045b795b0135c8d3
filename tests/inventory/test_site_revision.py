"""A site's revision goes up with every change the blast radius reads there, including the site a thing left."""

from __future__ import annotations

from inventory.models import Site
from tests.builders.sites import build_small_site


def revision(site: Site) -> int:
    return Site.objects.values_list("revision", flat=True).get(pk=site.pk)


def test_a_device_moved_to_another_site_changes_both_sites(db):
    lax, sfo = build_small_site(), build_small_site(suffix="-sfo")
    before = revision(lax.site), revision(sfo.site)
    lax.server.site, lax.server.rack = sfo.site, sfo.rack
    lax.server.save()
    assert revision(lax.site) > before[0] and revision(sfo.site) > before[1]


def test_a_port_moved_to_a_device_at_another_site_changes_both_sites(db):
    lax, sfo = build_small_site(), build_small_site(suffix="-sfo")
    before = revision(lax.site), revision(sfo.site)
    port = lax.sw_a.ports.get(name="Eth1/4")
    port.device = sfo.sw_a
    port.name = "Eth1/9"
    port.save()
    assert revision(lax.site) > before[0] and revision(sfo.site) > before[1]


def test_saving_a_site_read_before_a_change_does_not_undo_the_change(db):
    lax = build_small_site()
    edited = Site.objects.get(pk=lax.site.pk)  # as the admin's form read it
    lax.sw_a.save()  # meanwhile, an inventory change at the site
    bumped = revision(lax.site)
    assert bumped > edited.revision
    edited.name = "Los Angeles One"
    edited.save()
    assert revision(lax.site) == bumped
    assert Site.objects.get(pk=lax.site.pk).name == "Los Angeles One"


def test_a_site_copied_or_forced_in_saves_as_django_would(db):
    lax = build_small_site()
    copy = Site.objects.get(pk=lax.site.pk)
    copy.pk, copy.code = None, "LAX2"
    copy.save()
    assert Site.objects.filter(code="LAX2").exists()
    forced = Site(code="LAX3", name="Los Angeles 3")
    forced.save(force_insert=True)
    assert Site.objects.get(code="LAX3").revision == 0
