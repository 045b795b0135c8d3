from __future__ import annotations

import hashlib
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.log import verify_chain
from audit.models import AuditEvent
from tests.builders.people import PASSWORD


def test_a_tech_logs_in_and_lands_on_their_work(client, tess):
    response = client.post(
        reverse("login"), {"username": "tess", "password": PASSWORD}, REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 302
    assert client.get(response["Location"], follow=True).redirect_chain[-1][0] == reverse(
        "maintenance:tech_today"
    )


def test_logging_in_is_audited_with_the_session_and_address(client, tess):
    client.post(
        reverse("login"),
        {"username": "tess", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.7",
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14)",
    )
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == tess
    assert event.ip == "198.51.100.7"
    assert event.user_agent.startswith("Mozilla/5.0")
    assert event.session_hash == hashlib.sha256(client.session.session_key.encode()).hexdigest()
    assert verify_chain().ok


def test_a_wrong_password_is_refused_clearly_and_audited(client, tess):
    response = client.post(reverse("login"), {"username": "tess", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action="auth.login_failed").payload["username"] == "tess"


def test_a_huge_or_hostile_username_is_refused_without_error(client, db):
    response = client.post(reverse("login"), {"username": "<script>x</script>" * 5000, "password": "x"})
    assert response.status_code == 200
    assert b"<script>x</script>" not in response.content


def test_logging_out_needs_a_post_and_is_audited(client, tess):
    client.force_login(tess)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert AuditEvent.objects.filter(action="auth.logout", actor=tess).exists()
    assert "_auth_user_id" not in client.session


def test_a_post_without_a_csrf_token_is_refused_with_a_clear_page(tess):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": "tess", "password": PASSWORD})
    assert response.status_code == 403
    assert b"This page expired" in response.content


def _fail(client, username, times, address):
    for _ in range(times):
        client.post(reverse("login"), {"username": username, "password": "guess"}, REMOTE_ADDR=address)


def test_guessing_a_password_is_stopped_even_when_the_guess_is_right(client, tess, settings, monkeypatch):
    settings.LOGIN_FAILURES_PER_NAME_AND_ADDRESS = 5
    _fail(client, "tess", 5, "203.0.113.9")
    response = client.post(
        reverse("login"), {"username": "tess", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assert response.status_code == 200 and b"Too many failed logins from here" in response.content
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.login_throttled").count() == 1
    # Tess on her own phone, elsewhere, is not locked out by someone guessing her password.
    assert (
        Client()
        .post(reverse("login"), {"username": "tess", "password": PASSWORD}, REMOTE_ADDR="198.51.100.7")
        .status_code
        == 302
    )
    # When the window has passed the failures, the right password works again from there too.
    later = timezone.now() + timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES + 1)
    monkeypatch.setattr("accounts.throttle.timezone.now", lambda: later)
    response = client.post(
        reverse("login"), {"username": "tess", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assert response.status_code == 302


def test_one_address_trying_many_names_is_stopped(client, tess, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 6
    for name in ("amy", "bob", "cat"):
        _fail(client, name, 2, "203.0.113.9")
    response = client.post(
        reverse("login"), {"username": "tess", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assert b"Too many failed logins from here" in response.content


def test_the_admin_login_is_limited_the_same_way(client, sam, settings):
    settings.LOGIN_FAILURES_PER_NAME_AND_ADDRESS = 3
    for _ in range(3):
        client.post(
            reverse("admin:login"), {"username": "sam", "password": "guess"}, REMOTE_ADDR="203.0.113.9"
        )
    response = client.post(
        reverse("admin:login"), {"username": "sam", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assert response.status_code == 200 and b"Too many failed logins from here" in response.content
    assert "_auth_user_id" not in client.session


def test_a_guesser_who_keeps_trying_is_noted_once_per_window(client, tess, settings):
    settings.LOGIN_FAILURES_PER_NAME_AND_ADDRESS = 2
    _fail(client, "tess", 12, "203.0.113.9")
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 2
    assert AuditEvent.objects.filter(action="auth.login_throttled").count() == 1
