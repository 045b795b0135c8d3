from __future__ import annotations

import threading

import pytest
from django.db import connection

from audit.log import record, verify_chain
from audit.models import AuditEvent
from tests.builders.databases import postgres_only

THREADS = 20


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_requests_appending_at_once_leave_one_unbroken_chain():
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def append(i: int) -> None:
        try:
            start.wait(timeout=10)
            record("test.concurrent", payload={"thread": i})
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, THREADS + 1))
    assert {e.payload["thread"] for e in AuditEvent.objects.all()} == set(range(THREADS))
    report = verify_chain()
    assert report.ok, report.message
    assert report.events == THREADS
