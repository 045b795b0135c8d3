"""Several workers on several machines share one PostgreSQL: two real worker processes drain one queue of
notices, and every message goes out exactly once. Needs a real PostgreSQL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comms.models import Delivery, DeliveryState, Subscriber
from inventory.models import Customer
from tests.checklists.conftest import build_scene
from tests.comms.conftest import unplug_web02
from tests.conftest import postgres_only

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
        "DEBUG": "0",
    }
    workers = [worker(env), worker(env)]
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs

    received = Counter()
    for mailbox in tmp_path.glob("*.log"):
        received.update(re.findall(r"^To: (\S+)$", mailbox.read_text(), flags=re.M))
    assert received == Counter({address: 1 for address in addresses})
    deliveries = Delivery.objects.all()
    assert {(d.state, d.attempts) for d in deliveries} == {(DeliveryState.SENT, 1)}
    # Both workers took part: the queue was shared, not drained by one before the other started.
    ran_by = {tuple(r.worker_ids) for r in DBTaskResult.objects.filter(task_path="comms.tasks.deliver")}
    assert all(len(ids) == 1 for ids in ran_by)
    assert len({ids[0] for ids in ran_by}) == 2
