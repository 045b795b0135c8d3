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


def test_a_circuit_and_its_ends_added_in_the_admin_are_audited_and_move_both_sites_revisions(
    client, sam, lax1
):
    from inventory.models import Circuit, Device

    far = Site.objects.create(code="SFO1", name="San Francisco 1")
    far_port = Device.objects.create(site=far, name="sfo-edge").ports.create(name="Eth1")
    revisions = (lax1.site.revision, far.revision)
    client.force_login(sam)

    response = client.post(
        reverse("admin:inventory_circuit_add"),
        {
            "cid": "CID-7",
            "provider": "Fibre Co",
            "type": "Transit",
            "status": "active",
            "description": "",
            "terminations-TOTAL_FORMS": "2",
            "terminations-INITIAL_FORMS": "0",
            "terminations-MIN_NUM_FORMS": "0",
            "terminations-MAX_NUM_FORMS": "2",
            "terminations-0-term_side": "A",
            "terminations-0-site": lax1.site.pk,
            "terminations-0-port": lax1.sw_a_port.pk,
            "terminations-1-term_side": "Z",
            "terminations-1-site": far.pk,
            "terminations-1-port": far_port.pk,
        },
    )

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    circuit = Circuit.objects.get(cid="CID-7")
    assert circuit.terminations.count() == 2
    adds = AuditEvent.objects.filter(action="admin.add").order_by("seq")
    assert [event.object_type for event in adds] == [
        "inventory.circuit",
        "inventory.circuittermination",
        "inventory.circuittermination",
    ]
    lax1.site.refresh_from_db()
    far.refresh_from_db()
    assert lax1.site.revision > revisions[0] and far.revision > revisions[1]
    assert verify_chain().ok


def test_a_port_changed_inline_on_its_device_is_audited_from_what_to_what(client, sam, lax1):
    client.force_login(sam)
    url = reverse("admin:inventory_device_change", args=[lax1.sw_a.pk])
    page = client.get(url)
    data = {}
    for form in [page.context["adminform"].form, *page.context["inline_admin_formsets"][0].formset.forms]:
        for name, field in form.fields.items():
            value = form[name].value()
            if value is not None and value is not False:
                data[form.add_prefix(name)] = value.pk if hasattr(value, "pk") else value
    formset = page.context["inline_admin_formsets"][0].formset
    data |= {f"{formset.prefix}-{key}": value for key, value in formset.management_form.initial.items()}
    data.pop("asset_tag", None)
    first = formset.forms[0]
    data[first.add_prefix("label")] = "uplink to core"

    response = client.post(url, data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    events = AuditEvent.objects.filter(action="admin.change", object_type="inventory.port")
    assert events.count() == 1, [e.payload for e in events]
    event = events.get()
    assert event.payload["changed"] == ["label"]
    assert event.payload["before"] == {"label": ""} and event.payload["after"] == {"label": "uplink to core"}


def test_a_port_deleted_inline_on_its_device_is_audited(client, sam, lax1):
    client.force_login(sam)
    url = reverse("admin:inventory_device_change", args=[lax1.sw_a.pk])
    page = client.get(url)
    data = {}
    formset = page.context["inline_admin_formsets"][0].formset
    for form in [page.context["adminform"].form, *formset.forms]:
        for name in form.fields:
            value = form[name].value()
            if value is not None and value is not False:
                data[form.add_prefix(name)] = value.pk if hasattr(value, "pk") else value
    data |= {f"{formset.prefix}-{key}": value for key, value in formset.management_form.initial.items()}
    data.pop("asset_tag", None)
    doomed = formset.forms[-1].instance
    data[formset.forms[-1].add_prefix("DELETE")] = "on"

    response = client.post(url, data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    event = AuditEvent.objects.get(action="admin.delete", payload__object_id=str(doomed.pk))
    assert (
        event.actor == sam
        and event.payload["via"] == "inline"
        and event.payload["object_type"] == "inventory.port"
    )
    assert verify_chain().ok
