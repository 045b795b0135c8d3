from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """Django's login form with attributes that suit a phone keyboard in a glove."""

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
