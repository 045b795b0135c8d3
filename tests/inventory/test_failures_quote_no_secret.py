"""Rule 9 in the inventory: a label print whose renderer broke, an import the database refused, a file csv
cannot read and a NetBox that could not be reached are each said in our words on the page (or in the command's
error) and in the audit log; the library's own text (which can quote a token, a serial, a certificate) goes to
the server log only."""

from __future__ import annotations

import json
import ssl
import urllib.error

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse

import inventory.importers.run
import inventory.tasks
from audit.models import AuditEvent
from inventory.models import Device, DeviceRole, DeviceType, LabelJob, LabelJobStatus, Rack, Site, Tag
from inventory.netbox_api import NetBoxClient, NetBoxError, import_netbox_api
from tests.builders.labels import ask_for_labels
from tests.builders.sites import build_small_site
from tests.builders.workers import run_worker

pytestmark = pytest.mark.django_db

SECRET = "token=nb-0123456789abcdef-never-shown"


def audit_text() -> str:
    return "\n".join(json.dumps(p) for p in AuditEvent.objects.values_list("payload", flat=True))


def test_a_label_renderer_whose_error_quotes_a_token_is_said_as_the_renderer_failed(
    client, tess, sam, settings, monkeypatch
):
    settings.LOCKSTEP_LABELS_IN_REQUEST = 2
    site = build_small_site(with_ports=2)
    for asset in (site.sw_a, site.sw_b, site.server):
        Tag.issue(asset, by=sam)

    def broken(*args, **kwargs):
        raise RuntimeError(f"font server said no ({SECRET})")

    monkeypatch.setattr(inventory.tasks, "render_labels", broken)
    client.force_login(tess)
    ask_for_labels(client, reverse("inventory:rack_labels", args=[site.rack.pk]), {}, follow=False)
    run_worker()

    job = LabelJob.objects.get()
    assert job.status == LabelJobStatus.FAILED
    assert "The labels could not be made: the PDF renderer failed (RuntimeError)." in job.error
    assert AuditEvent.objects.get(action="labels.render_failed").payload["error"] == job.error
    page = client.get(job.get_absolute_url()).content.decode()
    assert "the PDF renderer failed (RuntimeError)" in page
    for leaked in (SECRET, "font server said no"):
        assert leaked not in job.error and leaked not in page and leaked not in audit_text()


DEVICES = (
    b"name,role,manufacturer,device_type,status,site,rack,position,serial\n"
    b"sw-a,access-switch,Cisco,N9K,active,LAX1,A01,42,FDO1\n"
)


@pytest.fixture
def los_angeles(db):
    site = Site.objects.create(code="LAX1", name="Los Angeles 1")
    Rack.objects.create(site=site, name="A01")
    DeviceRole.objects.create(name="access-switch", slug="access-switch")
    DeviceType.objects.create(manufacturer="Cisco", model="N9K", slug="n9k")


def upload_devices(client, data: bytes):
    return client.post(
        reverse("inventory:import"),
        {"files": [SimpleUploadedFile("devices.csv", data, content_type="text/csv")]},
    )


def test_an_import_the_database_refused_says_so_without_the_databases_words(
    client, sam, los_angeles, monkeypatch
):
    def refuse(*args, **kwargs):
        raise IntegrityError(
            f"duplicate key value violates unique constraint DETAIL: Key (serial)=({SECRET})"
        )

    monkeypatch.setattr(inventory.importers.run, "bump_sites", refuse)
    client.force_login(sam)
    response = upload_devices(client, DEVICES)

    html = response.content.decode()
    assert "refused the import, so nothing was written; try again (IntegrityError)" in html
    assert SECRET not in html and "duplicate key" not in html
    refused = AuditEvent.objects.get(action="inventory.import_refused")
    assert refused.payload["first_errors"] == [
        "database: refused the import, so nothing was written; try again (IntegrityError)"
    ]
    assert SECRET not in audit_text() and "duplicate key" not in audit_text()
    assert Device.objects.count() == 0


def test_a_quote_never_closed_is_said_in_our_words_not_csvs(client, sam, los_angeles):
    client.force_login(sam)
    response = upload_devices(client, DEVICES + b'sw-b,"access-switch' + b"x" * 140_000 + b"\n")

    html = response.content.decode()
    assert response.status_code == 400 and "Nothing was imported" in html
    assert "a value runs past 131,072 characters (a quote opened and never closed?)" in html
    assert "field larger than field limit" not in html + audit_text()


def test_an_address_carrying_a_password_is_refused_before_anything_names_it(sam):
    with pytest.raises(NetBoxError) as refused:
        import_netbox_api("https://admin:pa55-never-shown@netbox.example.com", "a-token", by=sam)
    assert str(refused.value) == (
        "a NetBox address must not carry a user name or password; the token is the login"
    )
    assert not AuditEvent.objects.filter(action__startswith="inventory.").exists()


def test_a_netbox_whose_tls_failed_is_said_without_the_librarys_words(monkeypatch):
    client = NetBoxClient("https://netbox.example.com", "a-token", timeout=1)

    def broken(*args, **kwargs):
        raise urllib.error.URLError(ssl.SSLCertVerificationError(1, f"certificate verify failed ({SECRET})"))

    monkeypatch.setattr(client._opener, "open", broken)
    with pytest.raises(NetBoxError) as failed:
        client.get_all("/api/dcim/sites/")
    assert str(failed.value) == (
        "could not reach NetBox at https://netbox.example.com: TLS failed (SSLCertVerificationError); "
        "check its certificate"
    )
