"""A mail backend whose server refuses the login and, as some do, quotes it back: the password in its words."""

from __future__ import annotations

import smtplib

from django.core.mail.backends.base import BaseEmailBackend

PASSWORD = "hunter2-smtp-never-shown"


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPAuthenticationError(
            535, f"5.7.8 Authentication failed for status@provider.example:{PASSWORD}".encode()
        )
