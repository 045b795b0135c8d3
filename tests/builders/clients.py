"""Test clients as the pages are used: logged in, and posting with a fresh idempotency key each time."""

from __future__ import annotations

import uuid

from django.test import Client
from django.urls import reverse


def on_phone(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def key() -> str:
    return uuid.uuid4().hex


class KeyedClient(Client):
    """A test client whose every POST carries a fresh idempotency key, as each form the pages render does."""

    def post(self, path, data=None, *args, **kwargs):
        return super().post(path, {"idem": key(), **(data or {})}, *args, **kwargs)


def scan_url(step) -> str:
    return reverse("checklists:step_scan", args=[step.run_id, step.position])
