"""Phones as the tests hold them: a browser with its own device cookie, logged in and out through the forms, so
the cookie survives as it does on a real phone (inventory.phones: the one rule about phones)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from lockstep.middleware import DEVICE_COOKIE
from tests.builders.people import PASSWORD


def handset() -> Client:
    """A phone nobody is logged in on yet: the first page it opens gives it its device cookie."""
    client = Client()
    client.get(reverse("login"))
    assert client.cookies[DEVICE_COOKIE].value
    return client


def log_in(client: Client, user) -> Client:
    """Logging in as a phone does: the login form, on whatever phone is in hand."""
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the login was refused"
    return client


def log_out(client: Client) -> None:
    """Logging out as a phone does. (The test client's own logout() would throw away every cookie, the
    phone's device cookie too: a phone does not.)"""
    assert client.post(reverse("logout")).status_code == 302
    assert client.cookies[DEVICE_COOKIE].value
