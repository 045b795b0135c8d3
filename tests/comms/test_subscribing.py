"""Subscribing: double opt-in, the same answer whatever the address's state, a limit per address, and
followers of a site told of maintenance there without any customer's services named."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from comms.models import Delivery, StatusLink, Subscriber
from comms.notices import notices_about
from inventory.models import Customer
from tests.builders.people import users
from tests.builders.scenes import build_scene, unplug_web02
from tests.builders.sites import build_redundant_site
from tests.builders.workers import run_worker

pytestmark = pytest.mark.django_db

ANSWER = "If that address can receive these notices, a message with a confirmation link is on its way."


def ask(client: Client, url: str, email: str):
    return client.post(url, {"email": email})


def confirmation_link() -> str:
    [message] = [m for m in mail.outbox if m.subject.startswith("Confirm")]
    return re.search(r"https://localhost:8000(/confirm/\S+/)", message.body).group(1)


def test_a_follower_of_a_site_confirms_then_hears_of_maintenance_there_without_customers_named(people):
    scene = build_scene(start=False, targets=unplug_web02)
    client = Client()
    url = reverse("comms:subscribe_site", args=[scene.site.site.code])
    assert b"Notices about" not in client.get(url).content  # the form page itself
    response = ask(client, url, "  Follower@Example.org ")
    assert response.status_code == 200 and ANSWER in response.content.decode()
    follower = Subscriber.objects.get(email="follower@example.org", site=scene.site.site)
    assert follower.confirmed_at is None
    run_worker()
    link = confirmation_link()

    # Opening the link (a mail scanner does) confirms nothing; the button does.
    assert b"Yes, send me notices" in client.get(link).content
    follower.refresh_from_db()
    assert follower.confirmed_at is None
    assert b"Confirmed." in client.post(link).content
    follower.refresh_from_db()
    assert follower.receives

    # The window is cancelled: everyone told of it hears, and now the follower too.
    scene.window.cancel(by=users()["rex"], reason="Vendor delay")
    notice = notices_about(scene.window).get(kind="cancelled")
    delivery = Delivery.objects.get(notice=notice, subscriber=follower)
    assert delivery.their_services == ""
    run_worker()
    [message] = [m for m in mail.outbox if m.to == ["follower@example.org"] and "cancelled" in m.subject]
    assert "follow maintenance at Los Angeles 1" in message.body
    assert "Beta" not in message.body and "Acme" not in message.body


def test_before_confirming_nothing_is_sent_and_the_answer_never_says_who_is_subscribed(people):
    client = Client()
    beta = Customer.objects.get(name="Beta")
    url = reverse("comms:subscribe_customer", args=[StatusLink.current(beta).token])
    known = ask(client, url, "ops@beta.example")  # confirmed already
    unknown = ask(client, url, "someone@beta.example")
    assert ANSWER in known.content.decode() and ANSWER in unknown.content.decode()
    assert known.content.replace(b"ops@beta.example", b"") == unknown.content.replace(
        b"someone@beta.example", b""
    )
    build_scene(start=False, targets=unplug_web02)
    run_worker()
    confirmations = [m.to[0] for m in mail.outbox if m.subject.startswith("Confirm")]
    assert confirmations == ["someone@beta.example"]  # nothing to the address already receiving
    scheduled = sorted(m.to[0] for m in mail.outbox if m.subject.startswith("Scheduled"))
    assert scheduled == ["cto@beta.example", "ops@beta.example"]  # not the unconfirmed one


def test_asking_twice_sends_one_confirmation(people):
    client = Client()
    url = reverse(
        "comms:subscribe_customer", args=[StatusLink.current(Customer.objects.get(name="Beta")).token]
    )
    ask(client, url, "twice@beta.example")
    ask(client, url, "twice@beta.example")
    run_worker()
    assert [m.to[0] for m in mail.outbox] == ["twice@beta.example"]


def test_past_the_limit_the_form_sends_nothing_and_says_the_same(db, settings):
    settings.LOCKSTEP_SUBSCRIBE_PER_HOUR = 3
    site = build_redundant_site()
    client = Client()
    url = reverse("comms:subscribe_site", args=[site.site.code])
    for n in range(5):
        assert ANSWER in ask(client, url, f"flood{n}@example.org").content.decode()
    assert Subscriber.objects.filter(email__startswith="flood").count() == 3
    run_worker()
    assert len(mail.outbox) == 3


def test_requests_whose_address_cannot_be_read_share_one_limit(db, settings):
    """Behind a proxy that sends junk in X-Forwarded-For, the flood is still counted: in one shared bucket."""
    settings.LOCKSTEP_SUBSCRIBE_PER_HOUR, settings.LOCKSTEP_TRUSTED_PROXIES = 3, 1
    site = build_redundant_site()
    url = reverse("comms:subscribe_site", args=[site.site.code])
    for n, junk in enumerate(["unknown", "", "not-an-ip", "unknown", "x"]):
        client = Client(HTTP_X_FORWARDED_FOR=junk)
        assert ANSWER in ask(client, url, f"junk{n}@example.org").content.decode()
    assert Subscriber.objects.filter(email__startswith="junk").count() == 3


@pytest.mark.parametrize(
    "email", ["", "not-an-address", "<script>alert(1)</script>@x", "a" * 300 + "@example.org"]
)
def test_a_bad_address_is_refused_in_words_and_changes_nothing(db, email):
    site = build_redundant_site()
    response = ask(Client(), reverse("comms:subscribe_site", args=[site.site.code]), email)
    assert response.status_code == 400 and b'class="field-error"' in response.content
    assert b"<script>alert" not in response.content
    assert not Subscriber.objects.exists()


def test_an_unknown_confirmation_link_changes_nothing(people):
    response = Client().post("/confirm/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/")
    assert response.status_code == 404 and b"This confirmation link is not known" in response.content
    assert users() is not None
