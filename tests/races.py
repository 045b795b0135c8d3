"""Things done at the same instant from several threads: for the race tests (PostgreSQL, transaction=True)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection
from django.test import Client


def at_once(acts: list[Callable[[], str]], *, timeout: float = 60) -> list[str]:
    """Each of `acts` run in its own thread, all released together, each with its own database connection;
    what each returned, or the error it raised (for the caller's assertions to report)."""
    start = threading.Barrier(len(acts))
    answers: list[str] = []

    def run(act: Callable[[], str]) -> None:
        try:
            start.wait(timeout=10)
            answers.append(act())
        except BaseException as exc:  # reported by the caller's assertions
            answers.append(f"error: {exc!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(act,)) for act in acts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return answers


def posted_twice_at_once(user, url: str, data: dict[str, str]) -> list[str]:
    """`user` POSTs `data` to `url` from two phones, both logged in first, at the same instant (a double tap on
    a flaky connection); each answer as "status location"."""
    phones = [Client(), Client()]
    for phone in phones:
        phone.force_login(user)

    def post(phone: Client) -> str:
        response = phone.post(url, data)
        return f"{response.status_code} {response.get('Location', '')}"

    return at_once([lambda phone=phone: post(phone) for phone in phones])
