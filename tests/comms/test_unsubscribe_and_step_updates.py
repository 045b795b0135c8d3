"""Leaving is one click and changes nothing for anyone else; a runbook's customer-update step sends its words
and says how many were sent; the outbox shows text as text."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from audit.models import AuditEvent
from comms.models import Delivery, DeliveryState, NoticeKind, Subscriber
from comms.notices import notices_about
from tests.builders.people import phone, users
from tests.builders.scenes import build_scene, finish_steps_before, unplug_web02
from tests.builders.workers import run_worker

pytestmark = pytest.mark.django_db


def test_opening_the_link_asks_and_changes_nothing(people):
    ops = people["beta-ops"]
    page = Client().get(f"/unsubscribe/{ops.token}/")
    assert page.status_code == 200 and b"Stop sending notices (Beta) to" in page.content
    ops.refresh_from_db()
    assert ops.unsubscribed_at is None


def test_the_mail_programs_one_click_post_unsubscribes_without_a_csrf_token_and_once(people):
    ops = people["beta-ops"]
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/unsubscribe/{ops.token}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and b"Unsubscribed" in response.content
    ops.refresh_from_db()
    assert ops.unsubscribed_at is not None and not ops.receives
    assert client.post(f"/unsubscribe/{ops.token}/").status_code == 200
    assert AuditEvent.objects.filter(action="subscriber.unsubscribed").count() == 1
    # Only that address: the other contact of the same customer still hears.
    scene = build_scene(start=False, targets=unplug_web02)
    recipients = notices_about(scene.window).get().deliveries.values_list("recipient", flat=True)
    assert list(recipients) == ["cto@beta.example"]


@pytest.mark.parametrize(
    "token", ["nope", "A" * 43, "x" * 300, "../../etc/passwd", "<script>alert(1)</script>"]
)
def test_an_unknown_or_malformed_link_is_a_plain_404_that_changes_nothing(people, token):
    response = Client().post(f"/unsubscribe/{token}/")
    assert response.status_code == 404 and b"This link is not known" in response.content
    assert (
        not Subscriber.objects.filter(unsubscribed_at__isnull=False)
        .exclude(email="gone@beta.example")
        .exists()
    )


def test_a_signed_customer_update_step_queues_its_words_and_the_step_shows_them_sent(people):
    scene = build_scene(targets=unplug_web02)
    update = scene.run.sequence().filter(kind="customer_update").first()
    finish_steps_before(scene, update.position)
    from checklists.execution import sign

    answer = sign(update, who=phone(users()["tess"]))
    assert answer == "Update queued: 2 e-mails to customers. This step shows each one as it is sent."
    notice = notices_about(update).get()
    assert notice.kind == NoticeKind.UPDATE and notice.body == update.message
    assert notice.created_by == users()["tess"]
    event = AuditEvent.objects.get(action="customer_update.queued")
    assert event.payload["messages"] == 2 and event.payload["notice"] == notice.pk

    client = Client()
    client.force_login(users()["tess"])
    before = client.get(update.get_absolute_url()).content.decode()
    assert "Sent 0 of 2 messages to customers · 2 waiting to send." in before
    run_worker()
    after = client.get(update.get_absolute_url()).content.decode()
    assert "Sent 2 of 2 messages to customers." in after
    assert sorted(m.to[0] for m in mail.outbox if m.subject.startswith("Update on")) == [
        "cto@beta.example",
        "ops@beta.example",
    ]


def test_the_outbox_prints_a_summary_with_markup_as_text(people):
    from accounts.roles import Role
    from maintenance.models import Window
    from tests.builders.people import make_user

    scene = build_scene(start=False, targets=unplug_web02)
    Window.objects.filter(pk=scene.window.pk).update(customer_summary="<script>alert('x')</script> & more")
    scene.window.refresh_from_db()
    scene.window.cancel(by=users()["rex"], reason="moved")
    client = Client()
    client.force_login(make_user("cora", Role.COORDINATOR))
    page = client.get("/outbox/").content.decode()
    assert "<script>alert" not in page
    assert "Maintenance cancelled" in page and "Nobody to send to" not in page
    assert Delivery.objects.filter(state=DeliveryState.QUEUED).count() == 4


def test_the_step_answer_counts_messages_by_channel_not_as_contacts(people):
    from checklists.execution import sign
    from comms.models import Webhook
    from inventory.models import Customer

    Webhook.objects.create(customer=Customer.objects.get(name="Beta"), url="https://93.184.216.34/hook")
    scene = build_scene(targets=unplug_web02)
    update = scene.run.sequence().filter(kind="customer_update").first()
    finish_steps_before(scene, update.position)
    answer = sign(update, who=phone(users()["tess"]))
    assert answer.startswith("Update queued: 2 e-mails and 1 webhook call to customers.")
