"""Rule 9 on the desk: a runbook PDF whose renderer broke, and a silence alert the mail server refused, are said
in our words on the page the person reads and in the audit log; the exception's own text (which can quote a
password, a token, the document) goes to the server log only."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

import lockstep.pdf
from accounts.roles import Role
from audit.models import AuditEvent
from incidents.models import Impact, Incident
from incidents.tasks import check_incident_silence
from maintenance.models import PrintJob, PrintStatus
from tests.checklists.conftest import build_scene, users
from tests.comms.conftest import contacts, unplug_web02
from tests.conftest import make_user
from tests.inventory.conftest import run_worker
from tests.leaky_mail import PASSWORD

pytestmark = pytest.mark.django_db

RENDERER_SECRET = "Authorization: Token nb-0123456789abcdef-never-shown"


def audit_text() -> str:
    return "\n".join(json.dumps(p) for p in AuditEvent.objects.values_list("payload", flat=True))


def test_a_renderer_whose_error_quotes_a_token_is_said_as_the_renderer_failed(
    client, db, settings, monkeypatch
):
    settings.LOCKSTEP_PDF_STEPS_IN_REQUEST = 3
    scene = build_scene()

    def broken(*args, **kwargs):
        raise RuntimeError(f"could not fetch https://netbox.internal/ ({RENDERER_SECRET})")

    monkeypatch.setattr(lockstep.pdf, "render_pdf", broken)
    client.force_login(users()["tess"])
    url = reverse("maintenance:runbook_pdf", args=[scene.window.pk])
    client.post(url, {"idem": "tess-taps-print-0001"})
    run_worker()

    job = PrintJob.objects.get()
    assert job.status == PrintStatus.FAILED
    assert "could not be made: the PDF renderer failed (RuntimeError)." in job.error
    assert AuditEvent.objects.get(action="print.failed").payload["error"] == job.error
    page = client.get(job.get_absolute_url()).content.decode()
    assert "the PDF renderer failed (RuntimeError)" in page
    for secret in (RENDERER_SECRET, "nb-0123456789abcdef", "netbox.internal"):
        assert secret not in job.error and secret not in page and secret not in audit_text()


def test_a_silence_alert_the_mail_server_refused_says_so_and_never_the_password(client, db, settings):
    contacts()
    scene = build_scene(targets=unplug_web02)
    cora = make_user("cora", Role.COORDINATOR, email="cora@provider.example")
    incident = Incident.declare(
        by=cora,
        site=scene.site.site,
        title="Websites unreachable",
        impact=Impact.MAJOR,
        message="We are investigating.",
        services=list(scene.run.approved_services),
        started_at=timezone.now() - timedelta(hours=1),
        window=scene.window,
    )
    Incident.objects.filter(pk=incident.pk).update(last_update_at=timezone.now() - timedelta(minutes=31))
    incident.refresh_from_db()
    settings.EMAIL_BACKEND = "tests.leaky_mail.EmailBackend"

    assert check_incident_silence.call(incident.pk, incident.last_update_at.isoformat()) == "alerted"

    alert = AuditEvent.objects.get(action="incident.silence_alert")
    assert alert.payload["mail_failed"] == "the mail server refused the login (SMTPAuthenticationError)"
    assert alert.payload["told"] == []
    assert PASSWORD not in audit_text() and "5.7.8" not in audit_text()
    # The desk reads the event in the audit log's admin page: the reason is there, the password is not.
    client.force_login(make_user("sam", Role.ADMIN, is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:audit_auditevent_change", args=[alert.pk])).content.decode()
    assert "the mail server refused the login" in page and PASSWORD not in page
