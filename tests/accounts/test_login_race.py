"""Guesses sent all at once get no more than the allowance. Each login post checks the limit and then, if the
password is wrong, records the failure: with the two apart, every post of a burst passed the check before the
first failure was counted (13 guesses checked against an allowance of 10). A lock per name makes the check and
the count one step. Real parallel posts need a real PostgreSQL: SQLite's in-memory test database cannot be
shared by threads, so this runs only in the PostgreSQL pass."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from tests.builders.databases import postgres_only
from tests.builders.people import PASSWORD, make_user

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

GUESSERS = 24
ALLOWANCE = 10


def login_all_at_once(attempts: list[tuple[str, str, str]]) -> list[object]:
    """Each (name, password, address) posted to the login page from its own thread, on its own database
    connection, all released together: the page each one got, or the exception it raised."""
    start = threading.Barrier(len(attempts))
    outcomes: list[object] = [None] * len(attempts)

    def post(index: int, username: str, password: str, address: str) -> None:
        try:
            client = Client()
            start.wait(timeout=10)
            outcomes[index] = client.post(
                reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
            )
        except BaseException as exc:  # compared by the test, never swallowed
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i, *attempt)) for i, attempt in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a login post never finished"
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    return outcomes


def guesses_checked(username: str) -> int:
    """A guess whose password was checked is a recorded failure; a refused one never reaches the password."""
    return AuditEvent.objects.filter(action="auth.login_failed", payload__username=username).count()


def test_a_burst_of_guesses_at_one_name_gets_no_more_than_the_allowance(settings):
    settings.LOGIN_FAILURES_PER_NAME_AND_ADDRESS = ALLOWANCE
    make_user("tess")
    outcomes = login_all_at_once([("tess", f"guess{n}", "203.0.113.9") for n in range(GUESSERS)])
    assert {response.status_code for response in outcomes} == {200}
    assert guesses_checked("tess") == ALLOWANCE
    refused = [r for r in outcomes if b"Too many failed logins from here." in r.content]
    assert len(refused) == GUESSERS - ALLOWANCE
    # The burst is over; the right password is refused as well while the wait runs.
    response = Client().post(
        reverse("login"), {"username": "tess", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assert b"Try again in" in response.content


def test_guesses_at_different_names_do_not_wait_for_each_other(settings):
    """The lock is per name: vic logging in is not held behind a burst at tess's name."""
    settings.LOGIN_FAILURES_PER_NAME_AND_ADDRESS = ALLOWANCE
    make_user("tess")
    make_user("vic")
    attempts = [("tess", f"guess{n}", "203.0.113.9") for n in range(GUESSERS)]
    attempts.append(("vic", PASSWORD, "198.51.100.20"))
    outcomes = login_all_at_once(attempts)
    assert outcomes[-1].status_code == 302  # vic is in
    assert guesses_checked("tess") == ALLOWANCE
