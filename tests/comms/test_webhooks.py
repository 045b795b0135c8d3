"""Webhooks: signed posts to a receiver the test runs on this machine, retried with back-off and logged per
attempt; addresses on private networks, redirects and bare http are refused. Nothing leaves this machine."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comms.models import Channel, Delivery, DeliveryAttempt, DeliveryState, Webhook
from comms.webhooks import UnsafeURL, check_url
from inventory.models import Customer
from tests.checklists.conftest import build_scene
from tests.comms.conftest import run_worker, unplug_web02

pytestmark = pytest.mark.django_db


class Receiver:
    """A local endpoint answering with the statuses it is given, in turn, and keeping what it received."""

    def __init__(self, statuses: list[int], *, location: str = "") -> None:
        self.statuses, self.received, self.location = list(statuses), [], location
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.path, dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.end_headers()
                self.wfile.write(b"x" * (200 * 1024))  # more than Lockstep reads

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def local_hooks(settings):
    """The test's receiver is plain http on loopback: allowed here by the two settings, and only here."""
    settings.LOCKSTEP_WEBHOOK_ALLOW_HTTP = True
    settings.LOCKSTEP_WEBHOOK_ALLOW_PRIVATE = True
    made = []

    def receiver(statuses=(), **kw) -> Receiver:
        made.append(Receiver(list(statuses), **kw))
        return made[-1]

    yield receiver
    for each in made:
        each.close()


def hook_for(name: str, url: str) -> Webhook:
    customer, _ = Customer.objects.get_or_create(name=name)
    return Webhook.objects.create(customer=customer, url=url)


def test_a_notice_is_posted_signed_with_only_the_customers_own_services(people, local_hooks):
    receiver = local_hooks()
    hook = hook_for("Beta", receiver.url)
    hook_for("Acme", local_hooks().url)  # acme is not affected: its endpoint hears nothing
    build_scene(start=False, targets=unplug_web02)
    run_worker()

    [(path, headers, body)] = receiver.received
    assert path == "/hook"
    payload = json.loads(body)
    assert payload["kind"] == "scheduled" and payload["your_services"] == ["Beta"]
    assert payload["site"] == "Los Angeles 1" and payload["subject"].startswith("Scheduled maintenance")
    expected = hmac.new(
        hook.secret.encode(), f"{headers['X-Lockstep-Timestamp']}.".encode() + body, hashlib.sha256
    )
    assert headers["X-Lockstep-Signature"] == f"v1={expected.hexdigest()}"
    assert abs(int(headers["X-Lockstep-Timestamp"]) - timezone.now().timestamp()) < 60
    delivery = Delivery.objects.get(channel=Channel.WEBHOOK)
    assert headers["X-Lockstep-Delivery"] == str(delivery.pk)
    assert delivery.state == DeliveryState.SENT and delivery.recipient == receiver.url
    [attempt] = DeliveryAttempt.objects.filter(delivery=delivery)
    assert attempt.ok and attempt.status_code == 200
    assert Delivery.objects.filter(channel=Channel.WEBHOOK).count() == 1


def test_a_failing_receiver_is_retried_with_back_off_and_every_attempt_is_logged(people, local_hooks):
    receiver = local_hooks([500, 503])
    hook_for("Beta", receiver.url)
    build_scene(start=False, targets=unplug_web02)
    run_worker()
    delivery = Delivery.objects.get(channel=Channel.WEBHOOK)
    assert delivery.state == DeliveryState.QUEUED and delivery.last_error == "HTTP 500"
    for _ in range(2):
        DBTaskResult.objects.filter(status="READY", task_path="comms.tasks.deliver").update(
            run_after=timezone.now()
        )
        run_worker()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    tries = list(DeliveryAttempt.objects.filter(delivery=delivery).values_list("ok", "status_code", "error"))
    assert tries == [(False, 500, "HTTP 500"), (False, 503, "HTTP 503"), (True, 200, "")]
    # One message, three posts: the receiver tells them apart from new messages by the delivery header.
    assert {h["X-Lockstep-Delivery"] for _, h, _ in receiver.received} == {str(delivery.pk)}


def test_a_redirect_is_a_failure_and_is_never_followed(people, local_hooks, settings):
    settings.LOCKSTEP_DELIVERY_ATTEMPTS = 1
    elsewhere = local_hooks()
    receiver = local_hooks([302], location=elsewhere.url)
    hook_for("Beta", receiver.url)
    build_scene(start=False, targets=unplug_web02)
    run_worker()
    delivery = Delivery.objects.get(channel=Channel.WEBHOOK)
    assert delivery.state == DeliveryState.FAILED and delivery.last_error == "HTTP 302"
    assert elsewhere.received == []


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://93.184.216.34/hook", "must start with https://"),
        ("file:///etc/passwd", "must start with https://"),
        ("https://127.0.0.1/hook", "private, loopback or link-local"),
        ("https://10.1.2.3/hook", "private, loopback or link-local"),
        ("https://169.254.169.254/latest/meta-data", "private, loopback or link-local"),
        ("https://[::1]/hook", "private, loopback or link-local"),
        ("https://user:pw@93.184.216.34/hook", "must not carry a user name"),
        ("https:///hook", "needs a host name"),
    ],
)
def test_unsafe_webhook_addresses_are_refused_in_words(db, url, words):
    with pytest.raises(UnsafeURL, match=words):
        check_url(url)
    hook = Webhook(customer=Customer.objects.create(name="Zed"), url=url)
    with pytest.raises(ValidationError):
        hook.full_clean()


def test_a_public_https_address_is_allowed(db):
    assert check_url("https://93.184.216.34/hook") == ["93.184.216.34"]


def test_an_address_that_turned_private_after_it_was_saved_is_not_posted_to(people, local_hooks, settings):
    receiver = local_hooks()
    hook_for("Beta", receiver.url)
    build_scene(start=False, targets=unplug_web02)
    settings.LOCKSTEP_WEBHOOK_ALLOW_PRIVATE = False
    run_worker()
    delivery = Delivery.objects.get(channel=Channel.WEBHOOK)
    assert "private, loopback or link-local" in delivery.last_error and receiver.received == []


def test_a_receiver_that_answers_garbage_is_a_recorded_failed_attempt(people, local_hooks, settings):
    import socket

    settings.LOCKSTEP_DELIVERY_ATTEMPTS = 1
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def answer_garbage():
        conn, _ = server.accept()
        conn.recv(65536)
        conn.sendall(b"NOT-HTTP garbage\r\n\r\n")
        conn.close()

    threading.Thread(target=answer_garbage, daemon=True).start()
    hook_for("Beta", f"http://127.0.0.1:{server.getsockname()[1]}/hook")
    build_scene(start=False, targets=unplug_web02)
    run_worker()
    server.close()
    delivery = Delivery.objects.get(channel=Channel.WEBHOOK)
    assert delivery.state == DeliveryState.FAILED and "BadStatusLine" in delivery.last_error
    assert DeliveryAttempt.objects.filter(delivery=delivery, ok=False).count() == 1


def test_carrier_grade_nat_and_nat64_addresses_are_refused(db):
    for url in ("https://100.100.100.200/latest", "https://[64:ff9b::a00:1]/hook"):
        with pytest.raises(UnsafeURL, match="private, loopback or link-local"):
            check_url(url)
