"""Several workers on several machines share one PostgreSQL: two real worker processes drain one queue of
notices, and every message goes out exactly once. Needs a real PostgreSQL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comms.models import Delivery, DeliveryState, StatusLink, Subscriber
from inventory.models import Customer
from tests.builders.databases import postgres_only
from tests.builders.scenes import build_scene, unplug_web02

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--interval", "0.05"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_workers_on_one_queue_send_every_message_exactly_once(tmp_path):
    beta, _ = Customer.objects.get_or_create(name="Beta")
    addresses = [f"contact{n:02}@beta.example" for n in range(40)]
    Subscriber.objects.bulk_create(
        Subscriber(customer=beta, email=address, confirmed_at=timezone.now()) for address in addresses
    )
    build_scene(start=False, targets=unplug_web02)  # approval queues the scheduled notice: 40 messages
    assert Delivery.objects.filter(state=DeliveryState.QUEUED).count() == 40

    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_BACKEND": "tests.comms.slow_mail.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path),
        "LOCKSTEP_VAR_DIR": str(tmp_path / "var"),
        # Hosts share the audit key and checkpoints by configuration, never a disk: without them a worker
        # refuses to sign events onto a log it cannot vouch for.
        "LOCKSTEP_AUDIT_KEY_FILE": str(settings.LOCKSTEP_AUDIT_KEY_FILE),
        "LOCKSTEP_AUDIT_CHECKPOINT_FILE": str(settings.LOCKSTEP_AUDIT_CHECKPOINT_FILE),
        "DEBUG": "0",
    }
    workers = [worker(env), worker(env)]
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs

    received = Counter()
    for mailbox in tmp_path.glob("*.log"):
        received.update(re.findall(r"^To: (\S+)$", mailbox.read_text(), flags=re.M))
    # On a failure, say which message went where: its state, its attempts, and what each worker printed.
    story = [
        (d.recipient, d.state, d.attempts, d.last_error)
        for d in Delivery.objects.order_by("pk")
        if (d.state, d.attempts) != (DeliveryState.SENT, 1) or received[d.recipient] != 1
    ]
    tasks = [
        (r.status, r.worker_ids, r.args_kwargs, r.exception_class_path, r.traceback)
        for r in DBTaskResult.objects.exclude(status="SUCCESSFUL")
    ]
    assert received == Counter({address: 1 for address in addresses}), (story, tasks, outputs)
    assert not story, (story, tasks, outputs)
    # Both workers took part: the queue was shared, not drained by one before the other started.
    ran_by = {tuple(r.worker_ids) for r in DBTaskResult.objects.filter(task_path="comms.tasks.deliver")}
    assert all(len(ids) == 1 for ids in ran_by)
    assert len({ids[0] for ids in ran_by}) == 2


def test_workers_making_one_customers_status_link_at_the_same_instant_share_it():
    """Each message carries its customer's private link, made on first use: the first messages to one
    customer, sent by several workers at once, all find the same link instead of one failing."""
    customers = [Customer.objects.create(name=f"Gamma {n}") for n in range(5)]
    for customer in customers:
        start = threading.Barrier(6)
        made: list[str] = []

        def link(customer=customer, start=start, made=made) -> None:
            try:
                start.wait(timeout=10)
                made.append(StatusLink.current(customer).token)
            except BaseException as exc:  # reported below
                made.append(f"error: {exc!r}")
            finally:
                connection.close()

        threads = [threading.Thread(target=link) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(made) == 6 and len(set(made)) == 1, made
        assert StatusLink.objects.filter(customer=customer).count() == 1
