"""Webhooks: signed posts to a receiver the test runs on this machine, retried with back-off and logged per
attempt; addresses on private networks, redirects and bare http are refused. Nothing leaves this machine."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comms.models import Channel, Delivery, DeliveryAttempt, DeliveryState, Webhook
from comms.webhooks import UnsafeURL, check_url
from inventory.models import Customer
from tests.builders.scenes import build_scene, unplug_web02
from tests.builders.workers import run_worker

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


def header(headers: dict, name: str) -> str:
    """HTTP header names are case-insensitive; senders spell them as they like."""
    [value] = [value for key, value in headers.items() if key.lower() == name.lower()]
    return value


def with_header(headers: dict, name: str, value: str) -> dict:
    return {**{k: v for k, v in headers.items() if k.lower() != name.lower()}, name: value}


def verify_standard_webhook(whsec: str, headers: dict, body: bytes, *, tolerance: int = 300) -> bool:
    """A receiver's check, written from the Standard Webhooks spec (spec/standard-webhooks.md), not from
    Lockstep's signer: the key is the base64 after `whsec_`; the signed content is "{webhook-id}.
    {webhook-timestamp}.{body}"; `webhook-signature` is a space-delimited list of "<version>,<base64>", and one
    v1 entry must equal the base64 HMAC-SHA256, compared in constant time; the timestamp must be recent."""
    assert whsec.startswith("whsec_")
    key = base64.b64decode(whsec.removeprefix("whsec_"))
    msg_id, timestamp = header(headers, "webhook-id"), header(headers, "webhook-timestamp")
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.digest(key, signed, "sha256"))
    for entry in header(headers, "webhook-signature").split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected):
            return True
    return False


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
    # The first signature is still sent: receivers written against it keep working.
    expected = hmac.new(
        hook.secret.encode(), f"{headers['X-Lockstep-Timestamp']}.".encode() + body, hashlib.sha256
    )
    assert headers["X-Lockstep-Signature"] == f"v1={expected.hexdigest()}"
    assert abs(int(headers["X-Lockstep-Timestamp"]) - timezone.now().timestamp()) < 60
    delivery = Delivery.objects.get(channel=Channel.WEBHOOK)
    assert headers["X-Lockstep-Delivery"] == str(delivery.pk)
    # And the Standard Webhooks one, under the same secret.
    assert verify_standard_webhook(hook.standard_secret, headers, body)
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
    assert {header(h, "webhook-id") for _, h, _ in receiver.received} == {str(delivery.pk)}


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


def test_a_standard_webhooks_receiver_verifies_with_the_secret_the_customer_already_holds(
    people, local_hooks
):
    """Beta's endpoint was set up with the secret Lockstep always gave out; its `whsec_` form decodes to that
    same secret, so a receiver moving to a Standard Webhooks library changes no key."""
    receiver = local_hooks()
    hook = hook_for("Beta", receiver.url)
    given_to_beta = hook.secret
    build_scene(start=False, targets=unplug_web02)
    run_worker()
    [(_, headers, body)] = receiver.received
    assert base64.b64decode(hook.standard_secret.removeprefix("whsec_")) == given_to_beta.encode()
    assert verify_standard_webhook(hook.standard_secret, headers, body)
    # The id is inside what is signed: a signature replayed with another id (another message) fails.
    assert not verify_standard_webhook(
        hook.standard_secret, with_header(headers, "webhook-id", "999999"), body
    )
    # As do another body, another time, and another webhook's secret.
    assert not verify_standard_webhook(hook.standard_secret, headers, body.replace(b"Beta", b"Acme"))
    later = str(int(header(headers, "webhook-timestamp")) + 1)
    assert not verify_standard_webhook(
        hook.standard_secret, with_header(headers, "webhook-timestamp", later), body
    )
    other = hook_for("Acme", "https://93.184.216.34/hook")
    assert not verify_standard_webhook(other.standard_secret, headers, body)


EMBEDDED = {
    "loopback": "127.0.0.1",
    "link-local": "169.254.169.254",
    "private": "10.1.2.3",
}
PUBLIC = "93.184.216.34"


def ipv6_forms(ipv4: str) -> dict[str, str]:
    """Every way an IPv6 address leads to an IPv4 one."""
    a, b, c, d = (int(part) for part in ipv4.split("."))
    high, low = f"{a * 256 + b:x}", f"{c * 256 + d:x}"
    return {
        "mapped": f"::ffff:{ipv4}",
        "mapped-hex": f"::ffff:{high}:{low}",
        "6to4": f"2002:{high}:{low}::1",
        "nat64": f"64:ff9b::{ipv4}",
        "ipv4-compatible": f"::{ipv4}",
    }


@pytest.mark.parametrize(
    "address",
    [
        pytest.param(address, id=f"{form}-{kind}")
        for kind, ipv4 in EMBEDDED.items()
        for form, address in ipv6_forms(ipv4).items()
    ],
)
def test_ipv6_addresses_that_lead_to_a_private_ipv4_address_are_refused(db, address):
    with pytest.raises(UnsafeURL, match="private, loopback or link-local"):
        check_url(f"https://[{address}]/hook")
    hook = Webhook(customer=Customer.objects.create(name="Zed"), url=f"https://[{address}]/hook")
    with pytest.raises(ValidationError):
        hook.full_clean()


@pytest.mark.parametrize(
    ("form", "allowed"),
    [("mapped", True), ("mapped-hex", True), ("6to4", True), ("nat64", True), ("ipv4-compatible", False)],
)
def test_ipv6_addresses_that_lead_to_a_public_ipv4_address_are_judged_as_it(db, form, allowed):
    """A public address stays reachable through the forms the internet uses (an IPv6-only network reaches
    IPv4 through NAT64, for one); the retired ::a.b.c.d form is refused whatever it holds."""
    address = ipv6_forms(PUBLIC)[form]
    if allowed:
        assert check_url(f"https://[{address}]/hook")
    else:
        with pytest.raises(UnsafeURL, match="private, loopback or link-local"):
            check_url(f"https://[{address}]/hook")


@pytest.mark.parametrize(
    "address", ["64:ff9b:1::5db8:d822", "fec0::1", "::", "2001:0:4136:e378:8000:63bf:3fff:fdd2"]
)
def test_local_nat64_site_local_unspecified_and_teredo_addresses_are_refused(address):
    with pytest.raises(UnsafeURL, match="private, loopback or link-local"):
        check_url(f"https://[{address}]/hook")
