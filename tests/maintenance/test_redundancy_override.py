"""Two windows that together cut both halves of a redundant pair: the second is approved only with a recorded
override that names the services and says why, and the override is shown wherever either window is."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from audit.models import AuditEvent
from maintenance.models import Override, RedundancyOverride, Risk, WindowRefused, WindowStatus
from tests.builders.pairs import Pair, build_pair
from tests.builders.people import PASSWORD


@pytest.fixture
def pair(db) -> Pair:
    pair = build_pair()
    pair.a.submit(by=pair.people["rex"])
    pair.a.approve(by=pair.people["ada"], comment="sw-a first")
    pair.b.submit(by=pair.people["rex"])
    return pair


def logged_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def pdf_text(response) -> str:
    assert response.status_code == 200, response.content[:300]
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def acme(pair: Pair) -> int:
    return pair.site.acme.pk


def test_approving_the_second_half_without_an_override_is_refused_and_changes_nothing(pair):
    ada = pair.people["ada"]
    with pytest.raises(WindowRefused) as refused:
        pair.b.approve(by=ada, comment="looks fine")
    assert f"CHG-{pair.a.pk}" in refused.value.reason and "Acme" in refused.value.reason
    pair.b.refresh_from_db()
    assert pair.b.status == WindowStatus.SUBMITTED
    assert not RedundancyOverride.objects.exists()
    assert not pair.b.decisions.exists()


def test_an_override_must_name_every_service_and_give_a_reason(pair):
    ada = pair.people["ada"]
    with pytest.raises(WindowRefused):
        pair.b.approve(by=ada, override=Override(services=(), reason="we know"))
    with pytest.raises(WindowRefused):
        pair.b.approve(by=ada, override=Override(services=(acme(pair),), reason="   "))
    pair.b.refresh_from_db()
    assert pair.b.status == WindowStatus.SUBMITTED


def test_with_an_override_it_is_approved_recorded_and_audited(pair):
    ada = pair.people["ada"]
    pair.b.approve(by=ada, override=Override(services=(acme(pair),), reason="Vendor only here tonight"))
    assert pair.b.status == WindowStatus.APPROVED
    [override] = RedundancyOverride.objects.all()
    assert (override.window, override.other, override.by) == (pair.b, pair.a, ada)
    assert override.service_names == ["Acme: acme-LAX1"]
    event = AuditEvent.objects.filter(action="window.redundancy_override").get()
    assert event.payload["reason"] == "Vendor only here tonight"
    # Both windows carry it: the risk is high and Acme is counted among the services at risk of each.
    for window in (pair.a, pair.b):
        window.refresh_from_db()
        assert window.effective_risk == Risk.HIGH
        assert acme(pair) in window.services_at_risk()


def test_a_conflict_with_a_window_still_waiting_is_shown_not_refused(db):
    pair = build_pair()
    pair.a.submit(by=pair.people["rex"])
    pair.b.submit(by=pair.people["rex"])
    pair.b.approve(by=pair.people["ada"], comment="CHG-A decided when it comes up")
    assert pair.b.status == WindowStatus.APPROVED
    # Now CHG-A comes up: B is approved, so A needs the override.
    with pytest.raises(WindowRefused, match="redundant pair"):
        pair.a.approve(by=pair.people["ada"])


def test_the_approver_ticks_the_services_on_the_window_page(pair):
    ada = logged_in(pair.people["ada"])
    page = ada.get(pair.b.get_absolute_url()).content.decode()
    assert "Approving needs an override" in page and "Acme: acme-LAX1" in page
    action = reverse("maintenance:window_action", args=[pair.b.pk, "decide"])

    ada.post(action, {"decision": "approve", "comment": "ok"})
    pair.b.refresh_from_db()
    assert pair.b.status == WindowStatus.SUBMITTED

    ada.post(
        action,
        {
            "decision": "approve",
            "override_service": [str(acme(pair))],
            "override_reason": "Vendor only here tonight",
        },
    )
    pair.b.refresh_from_db()
    assert pair.b.status == WindowStatus.APPROVED


def test_a_forged_service_id_in_the_override_is_refused_in_words(pair):
    ada = logged_in(pair.people["ada"])
    response = ada.post(
        reverse("maintenance:window_action", args=[pair.b.pk, "decide"]),
        {"decision": "approve", "override_service": ["99999999", "x"], "override_reason": "r"},
        follow=True,
    )
    assert response.status_code == 200
    assert "no longer the ones at stake" in response.content.decode()
    pair.b.refresh_from_db()
    assert pair.b.status == WindowStatus.SUBMITTED


def test_the_override_is_shown_on_both_windows_the_queue_the_board_and_both_runbooks(pair):
    reason = "Vendor only here tonight"
    pair.b.approve(by=pair.people["ada"], override=Override(services=(acme(pair),), reason=reason))
    ada = logged_in(pair.people["ada"])
    for window in (pair.a, pair.b):
        page = ada.get(window.get_absolute_url()).content.decode()
        assert "Approved over a redundant pair" in page and reason in page
        assert "High (approved over a redundant pair)" in page
        text = pdf_text(ada.get(reverse("maintenance:runbook_pdf", args=[window.pk])))
        assert "Approved over a redundant pair" in text and reason in text
    assert reason in ada.get(reverse("maintenance:queue")).content.decode()
    assert "approved over a redundant pair" in ada.get(reverse("maintenance:board")).content.decode()
    # The techs of each window read it on their phone's runbook.
    for window, tech in ((pair.a, "tess"), (pair.b, "walt")):
        window.refresh_from_db()
        phone_page = logged_in(pair.people[tech]).get(window.run.get_absolute_url()).content.decode()
        assert "Approved over a redundant pair" in phone_page and reason in phone_page


def test_the_queue_says_which_waiting_window_needs_an_override(pair):
    html = logged_in(pair.people["ada"]).get(reverse("maintenance:queue")).content.decode()
    assert "Approval needs an override" in html


def test_an_override_no_longer_counts_once_its_window_is_cancelled(pair):
    pair.b.approve(by=pair.people["ada"], override=Override((acme(pair),), "both tonight"))
    pair.b.cancel(by=pair.people["rex"], reason="not needed after all")
    a = type(pair.a).objects.get(pk=pair.a.pk)
    assert a.override_list == []
    assert a.effective_risk == a.risk
    assert acme(pair) not in a.services_at_risk()


def test_a_window_that_overran_still_needs_an_override_for_the_other_half(db):
    """CHG-A is still in progress past its planned end, sw-a Eth1/1 unplugged; CHG-B is planned from now:
    the plans no longer overlap, the work does."""
    from datetime import timedelta

    from django.utils import timezone

    from maintenance.models import Window
    from tests.builders.pairs import cut_a

    pair = build_pair(b_starts_in=timedelta(hours=2), hours=3)
    rex, ada = pair.people["rex"], pair.people["ada"]
    pair.a.submit(by=rex)
    pair.a.approve(by=ada, comment="a")
    pair.a.start(by=pair.people["tess"], now=pair.a.planned_start)
    cut_a(pair)
    now = timezone.now()
    Window.objects.filter(pk=pair.a.pk).update(
        planned_start=now - timedelta(hours=5), planned_end=now - timedelta(minutes=5)
    )
    Window.objects.filter(pk=pair.b.pk).update(
        planned_start=now + timedelta(minutes=10), planned_end=now + timedelta(hours=2)
    )
    pair.b.refresh_from_db()
    pair.b.submit(by=rex)
    with pytest.raises(WindowRefused, match=f"CHG-{pair.a.pk}"):
        pair.b.approve(by=ada, comment="b")


def test_an_overlong_reason_is_refused_in_words(pair):
    ada = logged_in(pair.people["ada"])
    response = ada.post(
        reverse("maintenance:window_action", args=[pair.b.pk, "decide"]),
        {"decision": "approve", "override_service": [str(acme(pair))], "override_reason": "x" * 5000},
        follow=True,
    )
    assert "2,000 characters" in response.content.decode()
    pair.b.refresh_from_db()
    assert pair.b.status == WindowStatus.SUBMITTED


def test_the_second_half_at_a_site_joined_by_a_circuit_needs_an_override_too(db):
    from tests.builders.pairs import build_pair, split_across_sites

    pair = build_pair()
    split_across_sites(pair)
    pair.a.submit(by=pair.people["rex"])
    pair.a.approve(by=pair.people["ada"], comment="sw-a first")
    pair.b.submit(by=pair.people["rex"])

    with pytest.raises(WindowRefused) as refused:
        pair.b.approve(by=pair.people["ada"], comment="other site, looks fine")

    assert f"CHG-{pair.a.pk}" in refused.value.reason and "Acme" in refused.value.reason
    pair.b.refresh_from_db()
    assert pair.b.status == WindowStatus.SUBMITTED
