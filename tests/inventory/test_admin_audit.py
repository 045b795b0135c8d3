"""Edits in the Django admin are audited like every other change."""

from __future__ import annotations

from django.urls import reverse

from audit.log import verify_chain
from audit.models import AuditEvent
from inventory.models import Site


def test_changing_a_device_in_the_admin_is_audited_with_before_and_after(client, sam, lax1):
    client.force_login(sam)
    url = reverse("admin:inventory_device_change", args=[lax1.server.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "site": lax1.site.pk,
            "rack": lax1.rack.pk,
            "serial": "CZ-NEW-SERIAL",
            "ports-TOTAL_FORMS": "0",
            "ports-INITIAL_FORMS": "0",
            "ports-MIN_NUM_FORMS": "0",
            "ports-MAX_NUM_FORMS": "1000",
        }
    )
    data.pop("asset_tag", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""

    event = AuditEvent.objects.get(action="admin.change")
    assert event.actor == sam and event.object_id == str(lax1.server.pk)
    assert event.payload["changed"] == ["serial"]
    assert event.payload["before"] == {"serial": "CZ2300X001"}
    assert event.payload["after"] == {"serial": "CZ-NEW-SERIAL"}
    assert verify_chain().ok


def test_adding_and_deleting_a_site_in_the_admin_is_audited(client, sam, db):
    client.force_login(sam)
    client.post(
        reverse("admin:inventory_site_add"), {"code": "SFO2", "name": "San Francisco 2", "time_zone": "UTC"}
    )
    site = Site.objects.get(code="SFO2")
    client.post(reverse("admin:inventory_site_delete", args=[site.pk]), {"post": "yes"})
    assert list(AuditEvent.objects.filter(object_type="inventory.site").values_list("action", flat=True)) == [
        "admin.add",
        "admin.delete",
    ]


def test_a_bad_time_zone_is_refused_by_the_admin(client, sam, db):
    client.force_login(sam)
    response = client.post(
        reverse("admin:inventory_site_add"), {"code": "X1", "name": "X", "time_zone": "Mars/Base"}
    )
    assert response.status_code == 200
    assert b"is not a known time zone" in response.content
    assert not Site.objects.filter(code="X1").exists()


def test_tags_cannot_be_edited_or_deleted_in_the_admin(client, sam, active_tag):
    client.force_login(sam)
    assert client.get(reverse("admin:inventory_tag_add")).status_code == 403
    assert (
        client.post(reverse("admin:inventory_tag_delete", args=[active_tag.pk]), {"post": "yes"}).status_code
        == 403
    )


def test_changing_what_a_service_depends_on_is_audited_with_before_and_after(client, sam, lax1):
    from inventory.models import Customer, Service

    service = Service.objects.create(customer=Customer.objects.create(name="Acme"), name="shop")
    service.devices.set([lax1.server])
    client.force_login(sam)
    url = reverse("admin:inventory_service_change", args=[service.pk])
    response = client.post(
        url,
        {
            "customer": service.customer_id,
            "name": "shop",
            "devices": [lax1.server.pk, lax1.sw_a.pk],
            "ports": str(lax1.sw_b_port.pk),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    event = AuditEvent.objects.get(action="admin.change", object_type="inventory.service")
    assert event.payload["changed"] == ["devices", "ports"]
    assert event.payload["before"] == {"devices": [str(lax1.server.pk)], "ports": []}
    assert event.payload["after"] == {
        "devices": sorted([str(lax1.server.pk), str(lax1.sw_a.pk)], key=lambda pk: (len(pk), pk)),
        "ports": [str(lax1.sw_b_port.pk)],
    }


def test_where_a_model_keeps_its_serial_is_set_in_the_admin_and_audited(client, sam, db):
    from inventory.models import DeviceType

    client.force_login(sam)
    response = client.post(
        reverse("admin:inventory_devicetype_add"),
        {"manufacturer": "Cisco", "model": "Nexus 93180YC-FX", "serial_location": "pull-out tab, front left"},
    )
    assert response.status_code == 302
    device_type = DeviceType.objects.get()
    event = AuditEvent.objects.get(action="admin.add", object_type="inventory.devicetype")
    assert event.actor == sam and event.object_id == str(device_type.pk)
    assert event.payload["after"]["serial_location"] == "pull-out tab, front left"
