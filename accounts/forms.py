from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts import throttle


class LimitsGuessing:
    """For a login form: refuse, even with the right password, while too many logins have failed (throttle.py)."""

    def clean(self):
        username = (self.cleaned_data.get("username") or "")[:150]
        if self.request is None or not username:
            return super().clean()
        with throttle.one_attempt_at_a_time(username):
            # Raised once the transaction has committed: raised inside, it would roll back the failure (or the
            # refusal) just recorded, which the next attempt must count.
            try:
                throttle.admit(self.request, username)
                return super().clean()
            except throttle.LoginRefused as refused:
                stopped = ValidationError(refused.message, code="throttled")
            except ValidationError as wrong_password:
                stopped = wrong_password
        raise stopped


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
