"""Things done at the same instant from several threads: for the race tests (PostgreSQL, transaction=True)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection
from django.test import Client

from checklists.models import StepRefused


def at_once(*actions: Callable[[], object], timeout: float = 60) -> list[object]:
    """Each action on its own thread and its own database connection, all released together; what each
    returned, or the exception it raised."""
    start = threading.Barrier(len(actions))
    outcomes: list[object] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        try:
            start.wait(timeout=10)
            outcomes[index] = action()
        except BaseException as exc:  # compared by the test, never swallowed
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a racing thread never finished"
    return outcomes


def refusals(outcomes: list[object]) -> list[str]:
    unexpected = [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, StepRefused)]
    assert not unexpected, unexpected
    return [o.reason for o in outcomes if isinstance(o, StepRefused)]


def posted_twice_at_once(user, url: str, data: dict[str, str]) -> list[str]:
    """`user` POSTs `data` to `url` from two phones, both logged in first, at the same instant (a double tap on
    a flaky connection); each answer as "status location", or the error it raised (for the assertions to report)."""
    phones = [Client(), Client()]
    for phone in phones:
        phone.force_login(user)

    def post(phone: Client) -> str:
        response = phone.post(url, data)
        return f"{response.status_code} {response.get('Location', '')}"

    answers = at_once(*(lambda phone=phone: post(phone) for phone in phones))
    return [answer if isinstance(answer, str) else f"error: {answer!r}" for answer in answers]
