from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.context import client_ip
from audit.log import clean_ip, record
from audit.models import AuditEvent


class LimitsGuessing:
    """For a login form: refuse, even with the right password, while too many logins have failed from here."""

    def clean(self):
        username = (self.cleaned_data.get("username") or "")[:150]
        if self.request is not None and username and too_many_failures(self.request, username):
            _note_refusal(self.request, username)
            raise ValidationError(
                f"Too many failed logins from here. Wait {settings.LOGIN_FAILURE_WINDOW_MINUTES} minutes and "
                "try again.",
                code="throttled",
            )
        return super().clean()


class LoginForm(LimitsGuessing, AuthenticationForm):
    """Django's login form with attributes that suit a phone keyboard in a glove, and a limit on guessing."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {
                "autocapitalize": "none",
                "autocorrect": "off",
                "spellcheck": "false",
                "autocomplete": "username",
            }
        )
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class AdminLoginForm(LimitsGuessing, AdminAuthenticationForm):
    """The admin's login, under the same limit: staff accounts are the ones most worth guessing."""


def _window_start():
    return timezone.now() - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)


def too_many_failures(request, username: str) -> bool:
    """Failed logins in the window, from the audit log (which records each one with its address): too many
    for this name from this address, or from this address for any name. A refused attempt is not counted,
    so the refusal ends when the window has passed the failures. A request without a usable address is
    not limited: all of them would share one count, and one guesser would lock everyone out."""
    address = clean_ip(client_ip(request))
    if not address:
        return False
    failures = AuditEvent.objects.filter(
        action="auth.login_failed", ip=address, created_at__gte=_window_start()
    )
    per_address = max(settings.LOGIN_FAILURES_PER_ADDRESS, 1)
    if failures[:per_address].count() >= per_address:
        return True
    per_name = max(settings.LOGIN_FAILURES_PER_NAME_AND_ADDRESS, 1)
    return failures.filter(payload__username=username)[:per_name].count() >= per_name


def _note_refusal(request, username: str) -> None:
    """One audit event per name and address per window, however often a guesser keeps trying."""
    noted = AuditEvent.objects.filter(
        action="auth.login_throttled",
        ip=clean_ip(client_ip(request)),
        created_at__gte=_window_start(),
        payload__username=username,
    )
    if not noted.exists():
        record("auth.login_throttled", payload={"username": username})
