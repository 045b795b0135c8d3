"""Rule 9: a message that could not be sent is said in our words on cora's outbox, in its stored rows and in
the audit log; the mail server's or the receiver's own words (which can quote a password or anything a receiver
chooses to answer) go to the server log only."""

from __future__ import annotations

import json
import socket
import threading

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEvent
from comms.models import Channel, Delivery, DeliveryAttempt, DeliveryState, Webhook
from inventory.models import Customer
from tests.builders.people import make_user
from tests.builders.scenes import build_scene, unplug_web02
from tests.builders.workers import run_worker
from tests.leaky_mail import PASSWORD

pytestmark = pytest.mark.django_db

RECEIVER_SECRET = "token=receiver-s3cret-never-shown"


def everything_stored() -> str:
    """Every delivery, every attempt and every audit event, as text."""
    rows = [
        *Delivery.objects.values_list("last_error", flat=True),
        *DeliveryAttempt.objects.values_list("error", flat=True),
        *(json.dumps(p) for p in AuditEvent.objects.values_list("payload", flat=True)),
    ]
    return "\n".join(rows)


def outbox_as_cora(client) -> str:
    from accounts.roles import Role

    client.force_login(make_user("cora", Role.COORDINATOR))
    return client.get("/outbox/").content.decode()


def test_a_mail_server_that_quotes_the_password_is_told_as_a_refused_login(scene, settings, client, caplog):
    settings.EMAIL_BACKEND = "tests.leaky_mail.EmailBackend"
    settings.LOCKSTEP_DELIVERY_ATTEMPTS = 2
    run_worker()
    DBTaskResult.objects.filter(status="READY", task_path="comms.tasks.deliver").update(
        run_after=timezone.now()
    )
    run_worker()

    said = "the mail server refused the login (SMTPAuthenticationError)"
    mails = Delivery.objects.filter(channel=Channel.EMAIL)
    assert set(mails.values_list("state", "attempts", "last_error")) == {(DeliveryState.FAILED, 2, said)}
    assert set(DeliveryAttempt.objects.values_list("error", flat=True)) == {said}
    retried = AuditEvent.objects.filter(action="notice.retry_scheduled")
    assert retried.exists() and {e.payload["error"] for e in retried} == {said}
    failed = AuditEvent.objects.filter(action="notice.failed")
    assert failed.count() == mails.count() and {e.payload["error"] for e in failed} == {said}
    assert PASSWORD not in everything_stored() and "5.7.8" not in everything_stored()
    page = outbox_as_cora(client)
    assert "the mail server refused the login" in page and PASSWORD not in page
    # The whole text is in the server's log, for whoever runs the server.
    assert "Authentication failed" in caplog.text


def hook_for_beta(url: str) -> Webhook:
    customer, _ = Customer.objects.get_or_create(name="Beta")
    return Webhook.objects.create(customer=customer, url=url)


@pytest.fixture
def local_receivers(settings):
    settings.LOCKSTEP_WEBHOOK_ALLOW_HTTP = True
    settings.LOCKSTEP_WEBHOOK_ALLOW_PRIVATE = True
    settings.LOCKSTEP_DELIVERY_ATTEMPTS = 1


def serve_once(answer: bytes | None) -> str:
    """A receiver on this machine that reads the post, then sends `answer` (or nothing) and hangs up."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def once():
        conn, _ = server.accept()
        conn.recv(65536)
        if answer is not None:
            conn.sendall(answer)
        conn.close()
        server.close()

    threading.Thread(target=once, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}/hook"


def webhook_failure(client) -> tuple[Delivery, str]:
    build_scene(start=False, targets=unplug_web02)
    run_worker()
    delivery = Delivery.objects.get(channel=Channel.WEBHOOK)
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == 1
    return delivery, outbox_as_cora(client)


def test_a_receiver_that_hangs_up_without_answering_is_told_so(people, local_receivers, client):
    hook_for_beta(serve_once(None))
    delivery, page = webhook_failure(client)
    said = "the receiver closed the connection without answering (RemoteDisconnected)"
    assert delivery.last_error == said and said in page
    assert "Remote end closed" not in everything_stored() + page


def test_a_receiver_whose_broken_answer_quotes_a_secret_is_told_as_not_http(people, local_receivers, client):
    hook_for_beta(serve_once(f"NOT-HTTP {RECEIVER_SECRET}\r\n\r\n".encode()))
    delivery, page = webhook_failure(client)
    said = "the receiver answered something that is not HTTP (BadStatusLine)"
    assert delivery.last_error == said and said in page
    assert RECEIVER_SECRET not in everything_stored() + page


def test_a_closed_port_is_told_as_a_refused_connection(people, local_receivers, client):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    hook_for_beta(f"http://127.0.0.1:{port}/hook")
    delivery, page = webhook_failure(client)
    said = "could not connect: the receiver refused the connection (ConnectionRefusedError)"
    assert delivery.last_error == said and said in page
    assert "Errno" not in everything_stored() + page and "urlopen error" not in everything_stored() + page
