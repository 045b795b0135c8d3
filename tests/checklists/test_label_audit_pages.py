"""Label audits started from a rack's page, worked on the phone like any run: a tech or an approver starts
one, a retried tap starts one, a swapped label is a discrepancy, and the rack says when its labels were last
proven, and by whom."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from checklists.label_audits import label_proofs
from checklists.models import Run, RunStatus, StepStatus
from inventory.models import Device, Discrepancy, DiscrepancyStatus, Rack, Tag
from tests.builders.sites import build_redundant_site

START = "Start a label audit of this rack"


def on_phone(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def a01(db, ada) -> Rack:
    """LAX1 rack A01 (sw-a, sw-b, web02, web01), every device labelled and its label applied."""
    lax1 = build_redundant_site()
    for device in Device.objects.filter(site=lax1.site):
        tag = Tag.issue(device, by=ada)
        tag.commission(serial=device.serial, by=ada)
    return Rack.objects.get(name="A01")


def start_url(rack: Rack) -> str:
    return reverse("checklists:rack_label_audit", args=[rack.pk])


def label(name: str) -> str:
    return Tag.objects.live().get(device__name=name).display_short_code


def walk(client: Client, run: Run, *, swap: dict[str, str] | None = None):
    """Scan each step's label and type its chassis serial, as the tech at the rack does; `swap` puts another
    device's label where one was expected. Answers the last scan."""
    answer = None
    for step in run.sequence():
        name = (swap or {}).get(step.device.name, step.device.name)
        url = reverse("checklists:step_scan", args=[run.pk, step.position])
        answer = client.post(url, {"idem": key(), "code": label(name), "serial": step.device.serial})
        if answer.status_code != 200:
            return answer
    return answer


def test_a_tech_starts_an_audit_from_the_rack_page_and_lands_on_its_first_step(a01, tess):
    phone = on_phone(tess)
    page = phone.get(a01.get_absolute_url())
    html = page.content.decode()
    assert START in html and "Labels never proven" in html
    assert "Who walks the rack" not in html  # a tech walks it themselves

    started = phone.post(start_url(a01), {"idem": key()})

    run = Run.objects.get()
    assert run.status == RunStatus.ACTIVE and list(run.people.all()) == [tess] and run.owner == tess
    assert started.status_code == 302 and started["Location"] == run.sequence().first().get_absolute_url()
    assert [s.title for s in run.sequence()] == [
        "Scan the label on sw-a",
        "Scan the label on sw-b",
        "Scan the label on web02",
        "Scan the label on web01",
    ]
    assert list(AuditEvent.objects.for_object(run).values_list("action", flat=True)) == [
        "run.built",
        "label_audit.started",
        "run.opened",
    ]
    # On the rack page, from then on: the audit under way, for her to go back to.
    assert f'href="{run.get_absolute_url()}"' in phone.get(a01.get_absolute_url()).content.decode()


def test_an_approver_starts_one_for_a_tech_to_walk(a01, ada, tess, vic):
    desk = on_phone(ada)
    html = desk.get(a01.get_absolute_url()).content.decode()
    assert START in html and "Who walks the rack" in html and ">vic<" in html

    started = desk.post(start_url(a01), {"idem": key(), "walker": str(vic.pk)})

    run = Run.objects.get()
    assert started.status_code == 302 and started["Location"] == run.get_absolute_url()
    assert list(run.people.all()) == [vic] and run.owner == ada
    # vic finds it on the rack's page; tess, not on it, is not shown it.
    assert run.get_absolute_url() in on_phone(vic).get(a01.get_absolute_url()).content.decode()
    assert run.get_absolute_url() not in on_phone(tess).get(a01.get_absolute_url()).content.decode()
    # And on his phone's list of today's work, leading to the step the audit is at.
    today = on_phone(vic).get(reverse("maintenance:tech_today")).content.decode()
    assert run.title in today and run.sequence().first().get_absolute_url() in today
    assert run.title not in on_phone(tess).get(reverse("maintenance:tech_today")).content.decode()


def test_someone_with_no_role_is_shown_no_button_and_refused(a01, olive, cora):
    # olive cannot even read the inventory; cora (a coordinator) reads it but is offered no audit.
    olives_page = on_phone(olive).get(a01.get_absolute_url())
    assert olives_page.status_code == 403 and START not in olives_page.content.decode()
    coras_page = on_phone(cora).get(a01.get_absolute_url())
    assert coras_page.status_code == 200 and "Labels never proven" in coras_page.content.decode()
    assert START not in coras_page.content.decode()

    for person in (olive, cora):
        refused = on_phone(person).post(start_url(a01), {"idem": key()})
        assert refused.status_code == 403
        assert "tech or an approver" in refused.content.decode()
    assert Run.objects.count() == 0


def test_an_approver_may_send_only_someone_who_works_on_labels(a01, ada, cora):
    refused = on_phone(ada).post(start_url(a01), {"idem": key(), "walker": str(cora.pk)})
    assert refused.status_code == 409 and "Choose who walks the rack" in refused.content.decode()
    forged = on_phone(ada).post(start_url(a01), {"idem": key(), "walker": "1; DROP TABLE"})
    assert forged.status_code == 409
    assert Run.objects.count() == 0
    assert AuditEvent.objects.filter(action="label_audit.refused").count() == 2


def test_a_retried_tap_starts_one_audit_not_two(a01, tess):
    phone = on_phone(tess)
    tap = {"idem": key()}
    first = phone.post(start_url(a01), tap)
    again = phone.post(start_url(a01), tap)
    assert Run.objects.count() == 1
    assert again["Location"] == first["Location"] and again["Idempotent-Replay"] == "true"
    assert AuditEvent.objects.filter(action="label_audit.started").count() == 1
    # Without a key, nothing starts.
    assert phone.post(start_url(a01), {}).status_code == 400
    assert Run.objects.count() == 1


def test_a_swapped_label_is_a_discrepancy_and_the_rack_is_not_proven(a01, tess):
    phone = on_phone(tess)
    phone.post(start_url(a01), {"idem": key()})
    run = Run.objects.get()

    stop = walk(phone, run, swap={"sw-a": "sw-b"})  # sw-b's label is on sw-a

    assert stop.status_code == 409 and "STOP" in stop.content.decode()
    discrepancy = Discrepancy.objects.get()
    assert discrepancy.status == DiscrepancyStatus.OPEN and discrepancy.device.name == "sw-a"
    run.refresh_from_db()
    assert run.status == RunStatus.HELD
    html = phone.get(a01.get_absolute_url()).content.decode()
    assert "Labels never proven" in html and "1 open discrepancy" in html
    proof = label_proofs([a01])[a01.pk]
    assert not proof.trusted and proof.proven_at is None and proof.open_discrepancies == 1


def test_after_a_clean_audit_the_rack_shows_when_and_by_whom(a01, tess):
    phone = on_phone(tess)
    phone.post(start_url(a01), {"idem": key()})
    run = Run.objects.get()

    assert walk(phone, run).status_code == 200

    assert set(run.steps.values_list("status", flat=True)) == {StepStatus.COMPLETE}
    html = phone.get(a01.get_absolute_url()).content.decode()
    assert "✓ Labels proven" in html and "by tess" in html and "never proven" not in html
    assert "Audit under way" not in html
    proof = label_proofs([a01])[a01.pk]
    assert proof.trusted and proof.proven_by == ("tess",)
    # Rack B01 was not walked: still never proven.
    b01 = Rack.objects.get(name="B01")
    assert label_proofs([b01])[b01.pk].proven_at is None


def test_the_rack_page_says_when_its_labels_were_proven_too_long_ago(a01, tess, settings):
    phone = on_phone(tess)
    phone.post(start_url(a01), {"idem": key()})
    walk(phone, Run.objects.get())
    settings.LOCKSTEP_LABEL_AUDIT_DAYS = 0  # every proof is older than zero days

    html = phone.get(a01.get_absolute_url()).content.decode()
    assert "Labels last proven" in html and "more than 0 days ago" in html
    assert not label_proofs([a01])[a01.pk].trusted


def test_a_device_with_no_label_is_left_out_and_counted_whatever_else_is_labelled(a01, ada, tess):
    """web01's label was revoked and none printed since; sw-a's ports carry labels of their own."""
    Tag.objects.live().get(device__name="web01").revoke(reason="label torn off", by=ada)
    for port in Device.objects.get(name="sw-a").ports.all():
        Tag.issue(port, by=ada)
    phone = on_phone(tess)
    assert (
        "1 device here carries no label and is left out" in phone.get(a01.get_absolute_url()).content.decode()
    )

    phone.post(start_url(a01), {"idem": key()})

    titles = list(Run.objects.get().sequence().values_list("title", flat=True))
    assert titles == ["Scan the label on sw-a", "Scan the label on sw-b", "Scan the label on web02"]


def test_the_site_page_lists_each_racks_labels_and_audits_a_whole_cage_at_once(a01, tess, cora):
    from inventory.models import Location

    cage = Location.objects.create(site=a01.site, name="Cage 3")
    Rack.objects.filter(site=a01.site).update(location=cage)
    site_url = reverse("inventory:site", args=[a01.site.code])
    phone = on_phone(tess)
    html = phone.get(site_url).content.decode()
    assert "LAX1 rack A01 has never had a label audit" in html
    assert "LAX1 rack B01 has never had a label audit" in html
    assert "Audit every rack in Cage 3 (2)" in html
    assert "Audit every rack in" not in on_phone(cora).get(site_url).content.decode()

    started = phone.post(reverse("checklists:label_audit_start"), {"idem": key(), "location": cage.pk})

    run = Run.objects.get()
    assert started.status_code == 302 and run.title == "Label audit, LAX1 racks A01, B01"
    walk(phone, run)
    html = phone.get(site_url).content.decode()
    assert "never had a label audit" not in html and html.count("✓ proven") == 2
