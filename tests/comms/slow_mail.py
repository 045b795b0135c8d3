"""A mail backend for the two-worker test: the file backend, a little slow, so two workers surely overlap."""

from __future__ import annotations

import time

from django.core.mail.backends.filebased import EmailBackend as FileBackend


class EmailBackend(FileBackend):
    def send_messages(self, email_messages):
        time.sleep(0.05 * len(email_messages))
        return super().send_messages(email_messages)
