"""Every word to a customer is real: written from a template, queued with the change that caused it, sent by
the worker, and on the record with to whom and when."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEvent
from comms.models import Delivery, DeliveryState, Notice, NoticeKind, NoticeTemplate, StatusLink
from comms.notices import notices_about
from maintenance.models import WindowStatus
from tests.builders.people import users
from tests.builders.workers import run_worker

pytestmark = pytest.mark.django_db


def kinds(window) -> list[str]:
    return list(notices_about(window).order_by("created_at", "pk").values_list("kind", flat=True))


def test_approval_writes_the_scheduled_notice_for_the_confirmed_contacts_of_the_customers_it_affects(scene):
    notice = notices_about(scene.window).get()
    assert notice.kind == NoticeKind.SCHEDULED
    assert [s.name for s in notice.services.all()] == ["beta-LAX1"]
    assert notice.subject.startswith(f"Scheduled maintenance {scene.window.reference} at Los Angeles 1: ")
    assert "(America/Los_Angeles)" in notice.subject and "Planned maintenance." in notice.body
    # The window's own title is internal (it names devices): customers never read it.
    assert "Swap optics" not in notice.subject + notice.body
    # Confirmed and still subscribed, of the affected customer: not the unconfirmed, not the unsubscribed,
    # not acme (whose server is not on the cut port).
    recipients = sorted(r.lower() for r in notice.deliveries.values_list("recipient", flat=True))
    assert recipients == ["cto@beta.example", "ops@beta.example"]
    assert set(notice.deliveries.values_list("state", flat=True)) == {DeliveryState.QUEUED}
    # Nothing is sent in the request: the messages wait for the worker.
    assert mail.outbox == []
    assert AuditEvent.objects.filter(action="notice.queued", object_id=str(notice.pk)).exists()


def test_the_worker_sends_each_message_once_with_a_one_click_unsubscribe_and_records_when(scene):
    run_worker()
    assert sorted(m.to[0] for m in mail.outbox) == ["cto@beta.example", "ops@beta.example"]
    message = next(m for m in mail.outbox if m.to == ["ops@beta.example"])
    ops = Delivery.objects.get(recipient="ops@beta.example")
    link = f"https://localhost:8000/unsubscribe/{ops.subscriber.token}/"
    assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in message.body and "as a contact of Beta" in message.body
    assert "Your services this concerns: Beta." in message.body
    page = StatusLink.objects.get(customer__name="Beta", retired_at__isnull=True)
    assert f"Your status page: https://localhost:8000/status/c/{page.token}/" in message.body
    assert ops.state == DeliveryState.SENT and ops.attempts == 1
    assert timezone.now() - ops.sent_at < timedelta(minutes=1)
    sent = AuditEvent.objects.filter(action="notice.sent").values_list("payload", flat=True)
    assert sorted(p["recipient"] for p in sent) == ["cto@beta.example", "ops@beta.example"]

    # The queue asked again (a retried task, a second worker): nothing is sent twice.
    from comms.tasks import deliver

    deliver.enqueue(ops.pk)
    run_worker()
    assert len(mail.outbox) == 2


def test_a_failing_mail_server_is_retried_with_back_off_then_failed_and_the_coordinator_sends_it_again(
    scene, settings, client
):
    settings.LOCKSTEP_DELIVERY_ATTEMPTS = 3
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=ConnectionRefusedError("smtp down")):
        run_worker()
        ops = Delivery.objects.get(recipient="ops@beta.example")
        assert ops.state == DeliveryState.QUEUED and ops.attempts == 1
        assert ops.last_error == "could not reach the mail server (ConnectionRefusedError)"
        # The next attempt waits 30 s, the one after 2 min: the queue holds it until then.
        waiting = DBTaskResult.objects.filter(status="READY", args_kwargs__args=[ops.pk]).get()
        assert timedelta(seconds=25) < waiting.run_after - timezone.now() <= timedelta(seconds=30)
        for _ in range(2):
            DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
            run_worker()
        ops.refresh_from_db()
        assert ops.state == DeliveryState.FAILED and ops.attempts == 3 and ops.sent_at is None
    assert mail.outbox == []
    assert AuditEvent.objects.filter(action="notice.failed").count() == 2
    # Each failed attempt before the last is on the record too, with when the next one was due.
    retries = AuditEvent.objects.filter(action="notice.retry_scheduled", object_id=str(ops.pk))
    assert [(e.payload["attempt"], e.payload["error"]) for e in retries.order_by("seq")] == [
        (1, "could not reach the mail server (ConnectionRefusedError)"),
        (2, "could not reach the mail server (ConnectionRefusedError)"),
    ]

    # The outbox says so, and offers the coordinator to send it again; a tech gets no outbox.
    client.force_login(users()["tess"])
    assert client.get("/outbox/").status_code == 403
    from accounts.roles import Role
    from tests.builders.people import make_user

    cora = make_user("cora", Role.COORDINATOR)
    client.force_login(cora)
    page = client.get("/outbox/").content.decode()
    assert (
        "Sent to 0 of 2" in page
        and "2 failed" in page
        and "could not reach the mail server" in page
        and "smtp down" not in page
        and "Send again" in page
    )
    response = client.post(f"/outbox/deliveries/{ops.pk}/resend/")
    assert response.status_code == 302
    run_worker()
    ops.refresh_from_db()
    assert ops.state == DeliveryState.SENT and [m.to for m in mail.outbox] == [["ops@beta.example"]]
    assert AuditEvent.objects.filter(action="notice.resend", actor=cora).count() == 1
    # A message already sent is not sent again on request.
    assert client.post(f"/outbox/deliveries/{ops.pk}/resend/").status_code == 403


def test_each_transition_tells_the_customers_and_a_draft_cancelled_tells_nobody(scene):
    people = users()
    window = scene.window
    Window = type(window)
    Window.objects.filter(pk=window.pk).update(planned_start=timezone.now() - timedelta(minutes=1))
    window.refresh_from_db()
    window.start(by=people["tess"])
    window.abort(by=people["tess"], reason="Fibre damaged")
    assert kinds(window) == [NoticeKind.SCHEDULED, NoticeKind.STARTED, NoticeKind.ROLLED_BACK]
    assert "stopped" in notices_about(window).get(kind=NoticeKind.ROLLED_BACK).body

    from tests.builders.windows import make_window

    draft = make_window(people["rex"], scene.site.site, title="Never announced")
    draft.cancel(by=people["rex"], reason="not needed")
    assert draft.status == WindowStatus.CANCELLED and kinds(draft) == []


def test_an_approved_window_cancelled_is_announced_as_cancelled(scene):
    scene.window.cancel(by=users()["rex"], reason="Vendor delay")
    assert kinds(scene.window) == [NoticeKind.SCHEDULED, NoticeKind.CANCELLED]


def test_an_admins_template_words_the_notice_and_placeholders_are_plain_text(db, people, settings):
    NoticeTemplate.objects.create(
        kind=NoticeKind.SCHEDULED,
        subject="Planned work $reference ($site) {{ secret }} $unknown",
        body="Hello. $summary. ${title}",
    )
    from tests.builders.scenes import build_scene, unplug_web02

    scene = build_scene(start=False, targets=unplug_web02)
    notice = notices_about(scene.window).get()
    assert (
        notice.subject == f"Planned work {scene.window.reference} (Los Angeles 1) {{{{ secret }}}} $unknown"
    )
    assert notice.body == "Hello. Planned maintenance.. Maintenance at Los Angeles 1"


def test_reminders_wait_for_their_time_and_say_nothing_for_a_moved_window(scene, settings):
    window = scene.window
    reminders = DBTaskResult.objects.filter(task_path="maintenance.tasks.remind")
    # The window starts in 2 hours: the 72-hour reminder is already past (not queued), the 1-hour one waits.
    assert [r.run_after for r in reminders] == [window.planned_start - timedelta(minutes=60)]
    overrun = DBTaskResult.objects.get(task_path="maintenance.tasks.check_overrun")
    assert overrun.run_after == window.planned_end

    run_worker()  # not due yet: nothing
    assert kinds(window) == [NoticeKind.SCHEDULED]
    reminders.update(run_after=timezone.now())
    run_worker()
    assert kinds(window) == [NoticeKind.SCHEDULED, NoticeKind.REMINDER]

    # Moved since the reminder was queued: it no longer tells the truth, so it says nothing.
    from maintenance.tasks import remind

    remind.enqueue(window.pk, (window.planned_start - timedelta(hours=1)).isoformat())
    run_worker()
    assert kinds(window) == [NoticeKind.SCHEDULED, NoticeKind.REMINDER]


def test_work_still_open_at_the_planned_end_is_announced_as_running_late_once(scene):
    people = users()
    window = scene.window
    type(window).objects.filter(pk=window.pk).update(planned_start=timezone.now() - timedelta(minutes=1))
    window.refresh_from_db()
    window.start(by=people["tess"])
    check = DBTaskResult.objects.filter(task_path="maintenance.tasks.check_overrun")
    check.update(run_after=timezone.now())
    run_worker()
    assert kinds(window)[-1] == NoticeKind.OVERRUN
    from maintenance.tasks import check_overrun

    check_overrun.enqueue(window.pk, window.planned_end.isoformat())
    run_worker()
    assert kinds(window).count(NoticeKind.OVERRUN) == 1


def test_a_window_done_before_its_end_is_not_announced_late(scene):
    from tests.builders.scenes import finish_steps_before

    people = users()
    window = scene.window
    type(window).objects.filter(pk=window.pk).update(planned_start=timezone.now() - timedelta(minutes=1))
    window.refresh_from_db()
    window.start(by=people["tess"])
    finish_steps_before(scene, 10_000)
    window.complete(by=people["tess"])
    DBTaskResult.objects.filter(task_path="maintenance.tasks.check_overrun").update(run_after=timezone.now())
    run_worker()
    assert NoticeKind.OVERRUN not in kinds(window) and kinds(window)[-1] == NoticeKind.COMPLETED
    assert Notice.objects.filter(kind=NoticeKind.COMPLETED).get().deliveries.count() == 2


def test_one_customers_message_never_names_another_customers_services(people):
    """web01 powered off and web02 unplugged: acme's and beta's services are both in the notice, and each
    contact hears only of their own."""
    from maintenance.models import TargetAction
    from tests.builders.scenes import build_scene

    build_scene(
        start=False,
        targets=lambda site: [
            (TargetAction.POWER_OFF, site.web01),
            (TargetAction.UNPLUG, site.port(site.sw_a, "Eth1/2")),
        ],
    )
    run_worker()
    by_address = {m.to[0]: m.body for m in mail.outbox}
    assert "Your services this concerns: Acme." in by_address["ops@acme.example"]
    assert "Beta" not in by_address["ops@acme.example"]
    assert "Your services this concerns: Beta." in by_address["ops@beta.example"]
    assert "Acme" not in by_address["ops@beta.example"]


def test_the_outbox_reads_any_number_of_notices_in_the_same_queries(scene):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.roles import Role
    from tests.builders.people import make_user

    client = Client()
    client.force_login(make_user("cora", Role.COORDINATOR))
    with CaptureQueriesContext(connection) as one:
        assert client.get("/outbox/").status_code == 200
    people = users()
    window = scene.window
    type(window).objects.filter(pk=window.pk).update(planned_start=timezone.now() - timedelta(minutes=1))
    window.refresh_from_db()
    window.start(by=people["tess"])
    window.abort(by=people["tess"], reason="Fibre damaged")
    run_worker()
    assert Notice.objects.count() == 3
    with CaptureQueriesContext(connection) as three:
        page = client.get("/outbox/").content.decode()
    assert page.count("Sent to 2 of 2") == 3
    # session, user, roles; the notices with their counts; their deliveries; their services
    assert len(three) == len(one) == 6


def test_an_address_that_left_after_the_notice_was_written_is_not_mailed(scene):
    from comms.models import Subscriber

    Subscriber.objects.get(email="ops@beta.example").unsubscribe()
    Subscriber.objects.filter(email="cto@beta.example").delete()
    run_worker()
    assert mail.outbox == []
    states = set(Delivery.objects.values_list("state", "last_error"))
    assert states == {
        (DeliveryState.FAILED, "Not sent: the address unsubscribed, or was removed, after this was written.")
    }


def test_one_address_on_two_matching_subscriptions_gets_one_message(people):
    from comms.models import Subscriber
    from tests.builders.scenes import build_scene, unplug_web02

    # ops@beta also follows the site: one message, not two (and not a refused approval).
    scene = build_scene(start=False, targets=unplug_web02)
    Subscriber.objects.create(email="OPS@beta.example", site=scene.site.site, confirmed_at=timezone.now())
    scene.window.cancel(by=users()["rex"], reason="moved")
    notice = notices_about(scene.window).get(kind=NoticeKind.CANCELLED)
    recipients = sorted(r.lower() for r in notice.deliveries.values_list("recipient", flat=True))
    assert recipients == ["cto@beta.example", "ops@beta.example"]
