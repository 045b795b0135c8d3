"""Guessing passwords is slowed wherever the guesses come from (junk in X-Forwarded-For, hopping inside an
IPv6 /64, rotating addresses), and the limits are not a weapon: a guesser behind the same office address does
not keep the right person out for longer than a short wait, and not at all on the phone they log in with."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from lockstep.middleware import DEVICE_COOKIE
from tests.builders.people import PASSWORD

PROXY = "10.0.0.2"
OFFICE = "198.51.100.7"


class Clock:
    """Django's clock, stopped, moved on by the test: the log's timestamps and the limits read the same time."""

    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    stopped = Clock()
    monkeypatch.setattr(timezone, "now", stopped)
    return stopped


def _login(client, username: str, password: str, address: str, **headers):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def _failures() -> int:
    return AuditEvent.objects.filter(action="auth.login_failed").count()


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize(
    "last_entries",
    [
        ["unknown", "", "not-an-address", "_hidden", "198.51.100.7:port"],
        [f"{OFFICE}:{port}" for port in range(51000, 51030)],
        [f"[2001:db8::{n:x}]:443" for n in range(1, 31)],
    ],
    ids=["unreadable", "ipv4-with-port", "bracketed-ipv6-with-port"],
)
def test_rotating_the_last_forwarded_entry_buys_no_extra_guesses(client, tess, settings, clock, last_entries):
    settings.LOCKSTEP_TRUSTED_PROXIES = 1
    settings.LOGIN_FAILURES_PER_NAME_AND_ADDRESS = 5
    responses = [
        _login(
            client,
            "tess",
            "guess",
            PROXY,
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n % 250}, {last_entries[n % len(last_entries)]}",
        )
        for n in range(30)
    ]
    assert {response.status_code for response in responses} == {200}
    assert _failures() == 5
    assert b"Too many failed logins from here. Try again in 15 seconds." in responses[-1].content
    # The same holds with the right password: the guesser cannot tell the refusal from a wrong guess.
    response = _login(client, "tess", PASSWORD, PROXY, HTTP_X_FORWARDED_FOR=last_entries[0])
    assert b"Try again in" in response.content and not _logged_in(client)


def test_hopping_between_addresses_of_one_ipv6_64_counts_as_one_address(client, tess, settings, clock):
    settings.LOGIN_FAILURES_PER_NAME_AND_ADDRESS = 10
    for n in range(1, 41):
        _login(client, "tess", "guess", f"2001:db8:1:2::{n:x}")
    assert _failures() == 10
    # Tess at home, in another /64, is not held up by it.
    home = Client()
    assert _login(home, "tess", PASSWORD, "2001:db8:1:3::5").status_code == 302


def test_trying_many_names_from_one_ipv6_64_is_slowed_as_from_one_address(client, db, settings, clock):
    settings.LOGIN_FAILURES_PER_ADDRESS = 8
    for n in range(1, 41):
        _login(client, f"name{n}", "guess", f"2001:db8:1:2:{n:x}::1")
    assert _failures() == 8


def test_one_account_guessed_from_rotating_addresses_waits_longer_after_each_failure(
    client, tess, settings, clock
):
    settings.LOGIN_FAILURES_PER_NAME = 5
    addresses = (f"203.0.113.{n}" for n in range(1, 250))
    for _ in range(5):
        _login(client, "tess", "guess", next(addresses))
    waits = []
    for _ in range(8):
        refused = _login(client, "tess", PASSWORD, next(addresses))
        assert b"Too many failed logins for this account." in refused.content and not _logged_in(client)
        waits.append(wait_in_words(refused))
        # Each time, once the wait is over, one more guess is heard (and fails).
        clock.advance(wait_seconds(refused))
        assert _login(client, "tess", "guess", next(addresses)).status_code == 200
    assert waits == [
        "15 seconds",
        "30 seconds",
        "60 seconds",
        "2 minutes",
        "4 minutes",
        "8 minutes",
        "15 minutes",  # never longer than the window
        "15 minutes",
    ]
    assert _failures() == 5 + 8


def test_a_guesser_behind_the_office_address_holds_up_the_others_for_a_short_wait_at_most(
    client, tess, vic, settings, clock
):
    """One guesser and the whole team share the office's address: the guesser's 60 failures used to lock every
    account out from there, the right password included."""
    guesser = Client()
    for n in range(60):
        _login(guesser, f"name{n % 7}", "guess", OFFICE)
        clock.advance(1)
    assert _failures() == settings.LOGIN_FAILURES_PER_ADDRESS
    # Tess, on a phone that has never logged in, waits at most half a minute, then gets in.
    response = _login(client, "tess", PASSWORD, OFFICE)
    assert response.status_code == 200
    assert b"Too many failed logins from here. Try again in" in response.content
    assert wait_seconds(response) <= 30
    clock.advance(wait_seconds(response))
    assert _login(client, "tess", PASSWORD, OFFICE).status_code == 302


def test_a_guesser_who_keeps_at_one_name_from_the_office_cannot_keep_its_owner_out_on_her_phone(
    client, tess, settings, clock
):
    settings.LOGIN_FAILURES_PER_NAME_AND_ADDRESS = 3
    settings.LOGIN_FAILURES_PER_NAME = 5
    settings.LOGIN_FAILURES_PER_ADDRESS = 8
    phone = client
    assert _login(phone, "tess", PASSWORD, OFFICE).status_code == 302
    phone.post(reverse("logout"))
    # Someone at the next desk, then from everywhere, guesses Tess's password: every limit is hit.
    guesser = Client()
    for n in range(20):
        _login(guesser, "tess", "guess", OFFICE if n % 2 else f"203.0.113.{n}")
        _login(guesser, f"name{n}", "guess", OFFICE)
    response = _login(guesser, "tess", PASSWORD, OFFICE)
    assert b"Too many failed logins" in response.content and not _logged_in(guesser)
    # Tess's phone has logged in as her before: only what was tried from it counts.
    assert _login(phone, "tess", PASSWORD, OFFICE).status_code == 302
    # A browser that logged in as someone else is not Tess's.
    vic_phone = Client()
    vic_phone.cookies[DEVICE_COOKIE] = phone.cookies[DEVICE_COOKIE].value
    assert b"Try again in" in _login(vic_phone, "vic", PASSWORD, OFFICE).content


def test_unreadable_addresses_share_one_network_that_slows_but_does_not_lock_out(
    client, tess, vic, settings, clock
):
    settings.LOCKSTEP_TRUSTED_PROXIES = 1
    settings.LOGIN_FAILURES_PER_NAME_AND_ADDRESS = 2
    settings.LOGIN_FAILURES_PER_ADDRESS = 4
    guesser = Client()
    for n in range(10):
        _login(guesser, f"name{n}", "guess", PROXY, HTTP_X_FORWARDED_FOR="unknown")
    assert _failures() == 4
    response = _login(client, "vic", PASSWORD, PROXY, HTTP_X_FORWARDED_FOR="")
    assert b"Try again in 15 seconds" in response.content
    clock.advance(15)
    assert _login(client, "vic", PASSWORD, PROXY, HTTP_X_FORWARDED_FOR="").status_code == 302


def wait_in_words(response) -> str:
    return response.content.split(b"Try again in ")[1].split(b".")[0].decode()


def wait_seconds(response) -> int:
    number, unit = wait_in_words(response).split()
    return int(number) * (60 if unit.startswith("minute") else 1)


def test_a_refused_network_trying_made_up_names_writes_one_event_not_one_per_name(
    client, db, settings, clock
):
    """Every event queues on the chain's head: a flood of names must not become a flood of events."""
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    for n in range(1, 6):
        _login(client, f"name{n}", "guess", OFFICE)
    for n in range(100, 160):
        _login(client, f"made-up{n}", "guess", OFFICE)
    assert AuditEvent.objects.filter(action="auth.login_throttled").count() == 1
