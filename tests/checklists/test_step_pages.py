"""The phone pages over HTTP: scanning, signing, retries, the /t/CODE hand-off, and what the approver sees."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from audit.models import AuditEvent
from checklists.execution import scan
from checklists.models import RunStatus, StepScan, StepStatus, TapRecord
from inventory.models import Discrepancy
from tests.builders.clients import key, on_phone, scan_url
from tests.builders.people import phone, users
from tests.builders.scenes import DESTRUCTIVE, IDENTITY, build_scene, finish_steps_before


def test_the_step_page_shows_the_asset_in_big_type_and_a_scan_form(scene):
    finish_steps_before(scene, kind=IDENTITY)
    html = on_phone(users()["tess"]).get(scene.step(kind=IDENTITY).get_absolute_url()).content.decode()
    assert "Find sw-a Eth1/1 and scan its label" in html
    assert "rack A01 U42" in html and "DO NOT TOUCH" in html and "sw-a Eth1/2" in html
    assert 'name="idem"' in html and "Scan with camera" in html


def test_a_scan_over_http_answers_in_words_and_a_retry_answers_the_same(scene):
    finish_steps_before(scene, kind=IDENTITY)
    tess = on_phone(users()["tess"])
    data = {"idem": key(), "code": scene.tag_for("sw-a Eth1/1")}
    first = tess.post(scan_url(scene.step(kind=IDENTITY)), data)
    assert first.status_code == 200 and "✓ Match" in first.content.decode()
    again = tess.post(scan_url(scene.step(kind=IDENTITY)), data)
    assert again.status_code == 200 and again["Idempotent-Replay"] == "true"
    assert again.content == first.content
    assert StepScan.objects.count() == 1
    assert AuditEvent.objects.filter(action="step.scanned").count() == 1


def test_a_tap_without_an_idempotency_key_is_refused_and_changes_nothing(scene):
    response = on_phone(users()["tess"]).post(reverse("checklists:step_sign", args=[scene.run.pk, 1]), {})
    assert response.status_code == 400 and b"idempotency key" in response.content
    assert scene.step(1).status == StepStatus.PENDING


def test_someone_elses_key_is_refused(scene):
    shared = key()
    url = reverse("checklists:step_sign", args=[scene.run.pk, 1])
    on_phone(users()["tess"]).post(url, {"idem": shared})
    response = on_phone(users()["vic"]).post(url, {"idem": shared})
    assert response.status_code == 409
    assert TapRecord.objects.count() == 1


def test_a_mismatch_over_http_is_a_409_that_says_stop_and_shows_on_the_approvers_board(scene):
    finish_steps_before(scene, kind=IDENTITY)
    response = on_phone(users()["tess"]).post(
        scan_url(scene.step(kind=IDENTITY)),
        {"idem": key(), "code": scene.tags["sw-b Eth1/1"].display_short_code},
    )
    assert response.status_code == 409
    assert "Mismatch: STOP" in response.content.decode()
    ada = on_phone(users()["ada"])
    board = ada.get(reverse("maintenance:board")).content.decode()
    assert "Discrepancy:" in board and "sw-b Eth1/1" in board
    discrepancy = Discrepancy.objects.get()
    page = ada.get(reverse("checklists:discrepancy", args=[discrepancy.pk])).content.decode()
    assert "How was it resolved?" in page
    ada.post(
        reverse("checklists:discrepancy_resolve", args=[discrepancy.pk]),
        {"idem": key(), "resolution": "Swapped labels on sw-a/sw-b corrected"},
    )
    scene.run.refresh_from_db()
    assert scene.run.status == RunStatus.ACTIVE


def test_the_verifier_never_sees_what_the_performer_scanned(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    tess, vic = on_phone(users()["tess"]), on_phone(users()["vic"])
    short = scene.tags["sw-a Eth1/1"].display_short_code
    tess.post(scan_url(scene.step(kind=DESTRUCTIVE)), {"idem": key(), "code": short, "serial": "SN-sw-a"})
    page = vic.get(scene.step(kind=DESTRUCTIVE).get_absolute_url()).content.decode()
    assert short not in page and scene.tag_for("sw-a Eth1/1") not in page
    assert "Verify independently" in page
    # And the performer is told to wait, with the page polling for the verifier's scan.
    waiting = tess.get(scene.step(kind=DESTRUCTIVE).get_absolute_url()).content.decode()
    assert "Waiting for a second tech" in waiting and 'hx-trigger="every 3s"' in waiting


def test_the_phone_cameras_scan_lands_on_the_step_that_waits_for_it(scene):
    finish_steps_before(scene, kind=IDENTITY)
    tess = on_phone(users()["tess"])
    tess.get(scene.step(kind=IDENTITY).get_absolute_url())  # the tech has the step open
    handoff = tess.get(f"/t/{scene.tag_for('sw-a Eth1/1')}")
    assert "Use this scan for step 3?" in handoff.content.decode()
    response = tess.post(
        scan_url(scene.step(kind=IDENTITY)),
        {"idem": handoff.context["idem"], "code": scene.tag_for("sw-a Eth1/1")},
    )
    assert "✓ Match" in response.content.decode()
    # With no step waiting, the same URL just shows the asset.
    assert "Active tag" in tess.get(f"/t/{scene.tag_for('sw-a Eth1/1')}").content.decode()


def test_someone_not_on_the_window_cannot_open_its_runbook(scene):
    walt = on_phone(users()["walt"])
    assert walt.get(scene.step(1).get_absolute_url()).status_code == 404


def test_the_techs_phone_lists_todays_window_with_its_current_step(scene):
    html = on_phone(users()["tess"]).get(reverse("maintenance:tech_today")).content.decode()
    assert scene.window.title in html and "Step 1: Check in at the rack" in html


@pytest.mark.parametrize("ports", [4, 400])
def test_the_step_page_and_the_scan_check_make_the_same_queries_at_any_inventory_size(
    db, ports, django_assert_num_queries
):
    scene = build_scene()
    from inventory.models import Port

    Port.objects.bulk_create(Port(device=scene.site.sw_c, name=f"Eth9/{n}") for n in range(ports))
    finish_steps_before(scene, kind=IDENTITY)
    tess = on_phone(users()["tess"])
    step = scene.step(kind=IDENTITY)
    url, scanning = step.get_absolute_url(), scan_url(step)
    code = scene.tag_for("sw-a Eth1/1")
    # session, user; the step with its run, asset, rack and site; the user's roles, their place on the run;
    # the sequence's statuses; whether an earlier step is still open (may she scan it now?); the session
    # saved (the step remembered for /t/ hand-offs) in a savepoint
    with django_assert_num_queries(10):
        tess.get(url)
    # The panel polls while a second tech is awaited: each poll reads (the same, less the session write),
    # and writes nothing.
    with django_assert_num_queries(7):
        tess.get(url, headers={"HX-Request": "true"})
    # session, user; the tap's key taken (a transaction, an insert); the view in a savepoint (released at
    # the end): the step with its run and asset, roles, place on the run (asked once: the check reuses it);
    # the check itself in a savepoint: the step's state and the run's locked, earlier steps not done, the
    # tag, scan insert, step update, and the audit event (head lock, insert, head update); the answer's
    # sequence statuses, the step's scans with their people (who scanned how, for the answer); the tap's
    # answer stored
    with django_assert_num_queries(24):
        tess.post(scanning, {"idem": key(), "code": code})


@pytest.mark.parametrize("running", [1, 6])
def test_the_board_shows_running_windows_live_in_the_same_queries(db, running, django_assert_num_queries):
    from maintenance.models import TargetAction
    from tests.builders.windows import make_window

    scene = build_scene()
    people = users()
    for n in range(running - 1):
        window = make_window(people["rex"], scene.site.site, title=f"More work {n}")
        window.assignees.add(people["tess"], people["vic"])
        window.add_target(
            by=people["rex"], action=TargetAction.UNPLUG, port=scene.site.port(scene.site.sw_c, "Eth1/2")
        )
        window.submit(by=people["rex"])
        window.approve(by=people["ada"], comment="")
        window.start(by=people["tess"], now=window.planned_start)
    finish_steps_before(scene, kind=IDENTITY)
    scan(scene.step(kind=IDENTITY), who=phone(people["tess"]), raw=scene.tag_for("sw-b Eth1/1"))  # a mismatch
    ada = on_phone(people["ada"])
    # session, user, roles; the windows with site and runbook; assignees; the redundancy overrides each
    # window made and was made against; then, for the running ones: step counts, current steps with their
    # people and assets, open discrepancies (raised by scans, and by the switches), what the interlock refused
    with django_assert_num_queries(12):
        html = ada.get(reverse("maintenance:board"), HTTP_HX_REQUEST="true").content.decode()
    assert html.count("steps done") == running
    assert "Discrepancy:" in html and "Now: " in html


def test_a_tap_from_the_pages_script_is_answered_with_just_the_step_panel(scene):
    tess = on_phone(users()["tess"])
    url = reverse("checklists:step_sign", args=[scene.run.pk, 1])
    response = tess.post(url, {"idem": key()}, HTTP_X_REQUESTED_WITH="fetch")
    html = response.content.decode()
    assert 'id="step-panel"' in html and "<html" not in html and "Signed: done." in html


def test_a_key_used_for_one_step_is_not_an_answer_for_another(scene):
    tess = on_phone(users()["tess"])
    shared = key()
    tess.post(reverse("checklists:step_sign", args=[scene.run.pk, 1]), {"idem": shared})
    response = tess.post(reverse("checklists:step_sign", args=[scene.run.pk, 2]), {"idem": shared})
    assert response.status_code == 409 and b"already used for something else" in response.content
    assert scene.step(2).status == StepStatus.PENDING


def test_a_refused_tap_changes_nothing_but_the_attempt_is_in_the_audit_log_once(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    tess = users()["tess"]
    code = scene.tag_for("sw-a Eth1/1")
    on_phone(tess).post(
        scan_url(scene.step(kind=DESTRUCTIVE)), {"idem": key(), "code": code, "serial": "SN-sw-a"}
    )
    # The same person on a second phone tries to be their own verifier, and retries when told no.
    second_phone = on_phone(tess)
    data = {"idem": key(), "code": code, "serial": "SN-sw-a"}
    refused = second_phone.post(scan_url(scene.step(kind=DESTRUCTIVE)), data)
    retried = second_phone.post(scan_url(scene.step(kind=DESTRUCTIVE)), data)
    assert refused.status_code == retried.status_code == 409
    assert "A different tech must verify it" in refused.content.decode()
    step = scene.step(kind=DESTRUCTIVE)
    assert step.status == StepStatus.SCANNED and step.verifier_id is None
    assert list(StepScan.objects.filter(step=step).values_list("role", flat=True)) == ["performer"]
    event = AuditEvent.objects.get(action="step.refused")
    assert event.actor == tess and event.object_id == str(step.pk)
    assert event.payload["action"] == "scan" and "different tech" in event.payload["reason"]
    assert event.payload["code"] == code


def test_a_refused_resolution_is_in_the_audit_log(scene):
    finish_steps_before(scene, kind=IDENTITY)
    on_phone(users()["tess"]).post(
        scan_url(scene.step(kind=IDENTITY)),
        {"idem": key(), "code": scene.tags["sw-b Eth1/1"].display_short_code},
    )
    discrepancy = Discrepancy.objects.get()
    # vic works this change and is an approver too: not his to resolve. (Someone without the approver role
    # gets a 403 before the discrepancy is read: tests/checklists/test_role_first.py.)
    vic = users()["vic"]
    vic.groups.add(Group.objects.get_or_create(name="approver")[0])
    response = on_phone(vic).post(
        reverse("checklists:discrepancy_resolve", args=[discrepancy.pk]), {"idem": key(), "resolution": "ok"}
    )
    assert response.status_code == 409
    discrepancy.refresh_from_db()
    assert discrepancy.status == "open"
    event = AuditEvent.objects.get(action="discrepancy.resolve_refused")
    assert event.actor == vic and "another approver resolves" in event.payload["reason"]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("2026-11-27T09:58:12.345Z", "2026-11-27T09:58:12+00:00"),
        ("2026-11-27T11:58:12+02:00", "2026-11-27T09:58:12+00:00"),
        ("2026-11-27T09:58:12", None),  # no zone: whose clock?
        ("2026-12-27T09:58:12Z", None),  # the phone's clock is far ahead
        ("2026-10-01T09:58:12Z", None),  # too long ago to believe
        ("<script>", None),
        ("9" * 5000, None),
    ],
)
def test_a_queued_tap_records_when_the_phone_made_it_beside_the_servers_time(scene, monkeypatch, sent, kept):
    from datetime import UTC, datetime

    now = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)
    monkeypatch.setattr("checklists.execution.timezone.now", lambda: now)
    response = on_phone(users()["tess"]).post(
        reverse("checklists:step_sign", args=[scene.run.pk, 1]), {"idem": key(), "queued_at": sent}
    )
    assert response.status_code == 200  # never refused for its phone's clock
    event = AuditEvent.objects.get(action="step.signed")
    assert event.payload.get("queued_on_phone_at") == kept


def test_a_tap_answered_not_found_is_kept_as_answered_so_the_phones_queue_moves_on(scene):
    """walt is not on this window: a tap he queued for it is answered 404 once, and that answer is final."""
    walt = on_phone(users()["walt"])
    data = {"idem": key()}
    url = reverse("checklists:step_sign", args=[scene.run.pk, 1])
    first, again = walt.post(url, data), walt.post(url, data)
    assert first.status_code == again.status_code == 404
    assert first["Idempotent-Answer"] == again["Idempotent-Answer"] == "true"
    assert again["Idempotent-Replay"] == "true"
    assert "Nothing was recorded" in first.content.decode()
    assert scene.step(1).status == StepStatus.PENDING


def test_a_tap_with_a_bad_or_reused_key_is_answered_finally(scene):
    tess, vic = on_phone(users()["tess"]), on_phone(users()["vic"])
    url = reverse("checklists:step_sign", args=[scene.run.pk, 1])
    no_key = tess.post(url, {"idem": "short"})
    assert no_key.status_code == 400 and no_key["Idempotent-Answer"] == "true"
    shared = key()
    tess.post(url, {"idem": shared})
    reused = vic.post(url, {"idem": shared})
    assert reused.status_code == 409 and reused["Idempotent-Answer"] == "true"


def test_the_approver_starts_the_checks_again_from_the_step_page(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    scan(
        scene.step(kind=DESTRUCTIVE),
        who=phone(users()["tess"]),
        raw=scene.tag_for("sw-a Eth1/1"),
        serial="SN-sw-a",
    )
    ada = on_phone(users()["ada"])
    page = ada.get(scene.step(kind=DESTRUCTIVE).get_absolute_url()).content.decode()
    assert "A phone that scanned is lost or broken?" in page
    assert (
        "A phone that scanned"
        not in on_phone(users()["vic"]).get(scene.step(kind=DESTRUCTIVE).get_absolute_url()).content.decode()
    )
    url = reverse("checklists:step_reset", args=[scene.run.pk, scene.step(kind=DESTRUCTIVE).position])
    response = ada.post(url, {"idem": key(), "reason": "<b>tess's phone fell</b>"})
    assert response.status_code == 200 and "The checks start again" in response.content.decode()
    assert scene.step(kind=DESTRUCTIVE).status == StepStatus.PENDING
    assert AuditEvent.objects.get(action="step.scans_reset").payload["reason"] == "<b>tess's phone fell</b>"
    # Again, now that there is nothing to start again: refused in words, and the refusal is recorded.
    again = ada.post(url, {"idem": key(), "reason": "again"})
    assert again.status_code == 409 and "Only a step scanned but not yet done" in again.content.decode()
    assert AuditEvent.objects.filter(action="step.refused", payload__action="reset").count() == 1


def test_a_tap_refused_not_found_after_writing_leaves_nothing_written(scene, rf):
    from django.http import Http404

    from checklists.idempotency import idempotent

    @idempotent
    def writes_then_refuses(request):
        scene.run.steps.filter(position=1).update(title="written before the refusal")
        raise Http404("gone")

    request = rf.post("/t", {"idem": key()})
    request.user = users()["tess"]
    response = writes_then_refuses(request)
    assert response.status_code == 404 and response["Idempotent-Answer"] == "true"
    assert scene.step(1).title != "written before the refusal"
    assert TapRecord.objects.get().status_code == 404


def test_the_last_step_done_offers_its_tech_the_window_complete_and_nobody_else(scene):
    last = scene.run.sequence().order_by("-position").first()
    finish_steps_before(scene, last.position + 1)
    url = last.get_absolute_url()
    complete = reverse("maintenance:window_action", args=[scene.window.pk, "complete"])
    people = users()

    page = on_phone(people["tess"]).get(url).content.decode()
    assert f'action="{complete}"' in page and "Complete the window" in page

    # Walt is a tech not on this window: the window refuses him, and his phone does not offer it.
    assert scene.window.may_complete(people["walt"]) is False
    assert complete not in on_phone(people["walt"]).get(url).content.decode()
    # Ada watches the step from the desk: the board, not the runbook's last step, is where she ends windows.
    assert complete not in on_phone(people["ada"]).get(url).content.decode()

    response = on_phone(people["tess"]).post(complete, {"next": "today"})
    assert response.status_code == 302 and response["Location"] == reverse("maintenance:tech_today")
    scene.window.refresh_from_db()
    assert scene.window.status == "completed"


def test_a_step_of_the_work_left_behind_by_an_abort_sends_the_phone_to_the_rollback(scene):
    finish_steps_before(scene, 2)
    scene.window.abort(by=users()["tess"], reason="Customer asked to stop")
    page = on_phone(users()["tess"]).get(scene.step(2).get_absolute_url()).content.decode()
    assert f'data-follow="{reverse("checklists:run_current", args=[scene.run.pk])}"' in page
    rollback = on_phone(users()["tess"]).get(reverse("checklists:run_current", args=[scene.run.pk]))
    assert rollback.status_code == 302
    first = scene.run.steps.filter(is_rollback=True).order_by("position").first()
    assert rollback["Location"] == first.get_absolute_url()


def test_a_key_reused_by_the_same_user_for_another_window_action_is_refused(scene):
    tess = on_phone(users()["tess"])
    shared = key()
    tess.post(reverse("checklists:step_sign", args=[scene.run.pk, 1]), {"idem": shared})
    response = tess.post(reverse("checklists:step_sign", args=[scene.run.pk, 2]), {"idem": shared})
    assert response.status_code == 409
