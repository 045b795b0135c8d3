from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.context import client_ip
from audit.log import clean_ip, record
from audit.models import AuditEvent


class LoginForm(AuthenticationForm):
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

    def clean(self):
        username = (self.cleaned_data.get("username") or "")[:150]
        if self.request is not None and username and too_many_failures(self.request, username):
            record("auth.login_throttled", payload={"username": username})
            minutes = settings.LOGIN_FAILURE_WINDOW_MINUTES
            raise ValidationError(
                f"Too many failed logins from here. Wait {minutes} minutes and try again, or ask an admin "
                "to check the account.",
                code="throttled",
            )
        return super().clean()


def too_many_failures(request, username: str) -> bool:
    """Failed logins in the window, from the audit log (which records each one with its address): too many
    for this name from this address, or from this address for any name. A throttled attempt is not counted,
    so the refusal ends when the window has passed the failures."""
    since = timezone.now() - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    failures = AuditEvent.objects.filter(
        action="auth.login_failed", created_at__gte=since, ip=clean_ip(client_ip(request))
    )
    from_here = failures[: settings.LOGIN_FAILURES_PER_ADDRESS].count()
    if from_here >= settings.LOGIN_FAILURES_PER_ADDRESS:
        return True
    for_name = failures.filter(payload__username=username)[: settings.LOGIN_FAILURES_PER_NAME_AND_ADDRESS]
    return for_name.count() >= settings.LOGIN_FAILURES_PER_NAME_AND_ADDRESS
