"""Rule 9 for the auditor's copy: a checkpoint the mail server refused fails its task, as before, but the
task's stored result (which the admin shows) says why in our words, never the server's, which can quote the
mail login's password."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts.roles import Role
from audit.tasks import mail_checkpoint
from tests.builders.people import make_user
from tests.builders.workers import run_worker
from tests.leaky_mail import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_refused_checkpoint_mail_fails_its_task_in_our_words(client, settings, caplog):
    settings.LOCKSTEP_AUDIT_CHECKPOINT_EMAIL = ["auditor@provider.example"]
    settings.EMAIL_BACKEND = "tests.leaky_mail.EmailBackend"
    mail_checkpoint.enqueue(json.dumps({"seq": 7, "at": "2026-12-07T21:00:00+00:00", "sig": "x"}))
    run_worker()

    result = DBTaskResult.objects.get(task_path="audit.tasks.mail_checkpoint")
    assert result.status == "FAILED"
    assert "checkpoint #7 not mailed: the mail server refused the login (SMTPAuthenticationError)" in (
        result.traceback
    )
    assert PASSWORD not in result.traceback + result.exception_class_path
    assert "5.7.8" not in result.traceback
    client.force_login(make_user("sam", Role.ADMIN, is_staff=True, is_superuser=True))
    page = client.get(
        reverse("admin:django_tasks_database_dbtaskresult_change", args=[result.pk])
    ).content.decode()
    assert "the mail server refused the login" in page and PASSWORD not in page
    # The whole text is in the server's log, for whoever runs the server.
    assert "Authentication failed" in caplog.text
