"""The coordinator writes to a window's customers: sees the words as each channel carries them and how many
will get them, writing nothing; then sends once, however often the button is pressed."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from comms.models import Notice, NoticeKind, Webhook
from inventory.models import Customer
from tests.builders.people import make_user, users
from tests.builders.scenes import build_scene, unplug_web02

pytestmark = pytest.mark.django_db


@pytest.fixture
def cora(people):
    client = Client()
    client.force_login(make_user("cora", Role.COORDINATOR))
    return client


def test_preview_shows_each_channel_and_the_count_and_writes_nothing(cora, settings):
    settings.LOCKSTEP_WEBHOOK_ALLOW_PRIVATE = True
    Webhook.objects.create(customer=Customer.objects.get(name="Beta"), url="https://93.184.216.34/hook")
    scene = build_scene(start=False, targets=unplug_web02)
    before = Notice.objects.count()
    page = cora.post(
        reverse("maintenance:window_compose", args=[scene.window.pk]),
        {"message": "Parts arrived; we start on time."},
    ).content.decode()
    assert "Goes to <strong>2 e-mail addresses</strong> and <strong>1 webhook</strong>" in page
    assert f"Subject: Update on maintenance {scene.window.reference} at Los Angeles 1" in page
    assert "Parts arrived; we start on time." in page and "Your services this concerns: Beta." in page
    assert "(their own unsubscribe link)" in page and "&quot;your_services&quot;: [" in page
    assert f"&quot;reference&quot;: &quot;{scene.window.reference}&quot;" in page
    assert Notice.objects.count() == before


def test_sending_twice_with_one_key_sends_once(cora):
    scene = build_scene(start=False, targets=unplug_web02)
    url = reverse("maintenance:window_compose_send", args=[scene.window.pk])
    key = uuid.uuid4().hex
    for _ in range(2):
        response = cora.post(url, {"message": "We start on time.", "idem": key})
        assert response.status_code == 302 and response["Location"] == reverse("comms:outbox")
    [notice] = Notice.objects.filter(kind=NoticeKind.UPDATE)
    assert notice.body == "We start on time." and notice.created_by.username == "cora"
    assert notice.deliveries.count() == 2


def test_only_a_coordinator_writes_and_only_about_an_announced_window(cora, people):
    scene = build_scene(start=False, targets=unplug_web02)
    tess = Client()
    tess.force_login(users()["tess"])
    assert tess.get(reverse("maintenance:window_compose", args=[scene.window.pk])).status_code == 403
    from tests.builders.windows import make_window

    draft = make_window(users()["rex"], scene.site.site, title="Not approved")
    assert cora.get(reverse("maintenance:window_compose", args=[draft.pk])).status_code == 403
    empty = cora.post(reverse("maintenance:window_compose", args=[scene.window.pk]), {"message": "  "})
    assert empty.status_code == 400 and b"field-error" in empty.content


def test_an_anonymous_send_is_sent_to_log_in_and_sends_nothing(people):
    scene = build_scene(start=False, targets=unplug_web02)
    response = Client().post(
        reverse("maintenance:window_compose_send", args=[scene.window.pk]),
        {"message": "x", "idem": uuid.uuid4().hex},
    )
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Notice.objects.filter(kind=NoticeKind.UPDATE).exists()
