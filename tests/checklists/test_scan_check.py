"""The scan check: the tag must be active and bound to exactly the step's asset, and for a destructive step
the chassis serial must agree. A mismatch blocks, records a discrepancy and holds the window. It never warns."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from audit.models import AuditEvent
from checklists.execution import resolve, scan
from checklists.models import RunStatus, StepRefused, StepScan, StepStatus
from inventory.models import Discrepancy, DiscrepancyStatus
from tests.builders.people import phone, users
from tests.builders.scenes import DESTRUCTIVE, IDENTITY, finish_steps_before


def test_scanning_the_right_label_completes_the_identity_check(scene):
    finish_steps_before(scene, kind=IDENTITY)
    result = scan(scene.step(kind=IDENTITY), who=phone(users()["tess"]), raw=scene.tag_for("sw-a Eth1/1"))
    assert result.matched
    step = scene.step(kind=IDENTITY)
    assert step.status == StepStatus.COMPLETE and step.performer.username == "tess"


def test_the_swapped_label_of_the_seed_story_is_caught_and_holds_the_window(scene):
    """The labels of sw-a and sw-b were swapped: at the wrong switch, the label a tech scans says sw-b."""
    finish_steps_before(scene, kind=IDENTITY)
    tess = users()["tess"]
    result = scan(scene.step(kind=IDENTITY), who=phone(tess), raw=scene.tag_for("sw-b Eth1/1"))

    assert not result.matched
    assert "belongs to sw-b Eth1/1" in result.message and "Do not touch anything" in result.message
    discrepancy = Discrepancy.objects.get()
    assert discrepancy.status == DiscrepancyStatus.OPEN and discrepancy.reported_by == tess
    assert discrepancy.expected["asset"] == "sw-a Eth1/1 (LAX1)"
    assert discrepancy.found["tag_asset"] == "sw-b Eth1/1 (LAX1)"
    scene.run.refresh_from_db()
    assert scene.run.status == RunStatus.HELD
    assert StepScan.objects.get().matched is False
    assert scene.step(kind=IDENTITY).status == StepStatus.PENDING
    assert AuditEvent.objects.filter(action="step.scan_mismatch").exists()

    # Held: even the right label does nothing until an approver resolves it.
    with pytest.raises(StepRefused, match="held until an approver resolves"):
        scan(scene.step(kind=IDENTITY), who=phone(tess), raw=scene.tag_for("sw-a Eth1/1"))

    resumed = resolve(
        discrepancy, who=phone(users()["ada"]), resolution="Labels on sw-a and sw-b corrected and re-audited"
    )
    assert [r.pk for r in resumed] == [scene.run.pk]
    assert scan(scene.step(kind=IDENTITY), who=phone(tess), raw=scene.tag_for("sw-a Eth1/1")).matched


def test_a_tech_cannot_resolve_their_own_discrepancy(scene):
    finish_steps_before(scene, kind=IDENTITY)
    scan(scene.step(kind=IDENTITY), who=phone(users()["tess"]), raw=scene.tag_for("sw-b Eth1/1"))
    with pytest.raises(StepRefused, match="Only an approver"):
        resolve(Discrepancy.objects.get(), who=phone(users()["tess"]), resolution="fine")
    with pytest.raises(StepRefused, match="Say how"):
        resolve(Discrepancy.objects.get(), who=phone(users()["ada"]), resolution=" ")


def test_a_revoked_tag_never_verifies_even_on_the_right_asset(scene):
    finish_steps_before(scene, kind=IDENTITY)
    tag = scene.tags["sw-a Eth1/1"]
    tag.revoke(reason="label damaged", by=users()["ada"])
    result = scan(scene.step(kind=IDENTITY), who=phone(users()["tess"]), raw=tag.code)
    assert not result.matched and "revoked" in result.message
    assert Discrepancy.objects.count() == 1


def test_a_tag_from_another_site_is_a_mismatch(scene):
    from inventory.models import Tag
    from tests.builders.sites import build_redundant_site

    other = build_redundant_site("SFO1")
    stray = Tag.issue(other.port(other.sw_a, "Eth1/1"), by=users()["ada"])
    stray.commission(serial=other.sw_a.serial, by=users()["ada"])
    finish_steps_before(scene, kind=IDENTITY)
    result = scan(scene.step(kind=IDENTITY), who=phone(users()["tess"]), raw=stray.code)
    assert not result.matched and "(SFO1)" in result.message


@pytest.mark.parametrize(
    "raw", ["", "hello", "<script>alert(1)</script>", "Z" * 5000, "https://evil.example/t/../../x"]
)
def test_a_malformed_or_forged_code_is_refused_and_records_nothing(scene, raw):
    finish_steps_before(scene, kind=IDENTITY)
    with pytest.raises(StepRefused):
        scan(scene.step(kind=IDENTITY), who=phone(users()["tess"]), raw=raw)
    assert not StepScan.objects.exists() and not Discrepancy.objects.exists()
    scene.run.refresh_from_db()
    assert scene.run.status == RunStatus.ACTIVE


def test_a_well_formed_code_of_no_tag_is_refused_and_records_nothing(scene):
    from inventory import codes

    finish_steps_before(scene, kind=IDENTITY)
    with pytest.raises(StepRefused, match="No Lockstep tag"):
        scan(scene.step(kind=IDENTITY), who=phone(users()["tess"]), raw=codes.new_code())
    assert not StepScan.objects.exists()


def test_a_destructive_step_also_checks_the_chassis_serial(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    tess = users()["tess"]
    step = scene.step(kind=DESTRUCTIVE)
    with pytest.raises(StepRefused, match="Also type the serial"):
        scan(step, who=phone(tess), raw=scene.tag_for("sw-a Eth1/1"))
    # Right port label, wrong chassis: the port labels were moved, the switch is sw-b.
    result = scan(step, who=phone(tess), raw=scene.tag_for("sw-a Eth1/1"), serial=scene.site.sw_b.serial)
    assert not result.matched and "serial typed does not match sw-a" in result.message
    assert Discrepancy.objects.get().expected["serial"] == "SN-sw-a"


def test_the_last_six_characters_of_the_serial_are_enough(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    serial = scene.site.sw_a.serial  # "SN-sw-a" normalizes to "SNSWA"; use a longer one
    scene.site.sw_a.serial = "FDO2231X0AB7"
    scene.site.sw_a.save()
    result = scan(
        scene.step(kind=DESTRUCTIVE),
        who=phone(users()["tess"]),
        raw=scene.tag_for("sw-a Eth1/1"),
        serial="x0ab7",
    )
    assert not result.matched  # five characters are not six
    assert serial
    resolve(Discrepancy.objects.get(), who=phone(users()["ada"]), resolution="typo")
    assert scan(
        scene.step(kind=DESTRUCTIVE),
        who=phone(users()["tess"]),
        raw=scene.tag_for("sw-a Eth1/1"),
        serial="1x0ab7",
    ).matched


def test_a_wrong_label_is_a_discrepancy_even_from_someone_who_may_not_scan_now(scene):
    """tess scanned sw-a Eth1/1 as the performer; at the rack she scans again, and this label says sw-b."""
    finish_steps_before(scene, kind=DESTRUCTIVE)
    tess = users()["tess"]
    step = scene.step(kind=DESTRUCTIVE)
    assert scan(step, who=phone(tess), raw=scene.tag_for("sw-a Eth1/1"), serial="SN-sw-a").matched
    # The right label again is only refused: she cannot be her own verifier.
    with pytest.raises(StepRefused, match="different tech must verify"):
        scan(step, who=phone(tess), raw=scene.tag_for("sw-a Eth1/1"), serial="SN-sw-a")
    # A wrong one is compared first, and holds the work.
    result = scan(step, who=phone(tess), raw=scene.tag_for("sw-b Eth1/1"), serial="SN-sw-a")
    assert not result.matched and result.role == StepScan.Role.PERFORMER
    scene.run.refresh_from_db()
    assert scene.run.status == RunStatus.HELD and Discrepancy.objects.count() == 1


def test_the_serial_is_checked_against_the_inventory_as_it_is_now(scene):
    """The step page was loaded; meanwhile the inventory learned sw-a's real serial (a corrected import)."""
    finish_steps_before(scene, kind=DESTRUCTIVE)
    step = scene.step(kind=DESTRUCTIVE)
    step.chassis  # loaded with the old serial, as the phone's page was
    type(scene.site.sw_a).objects.filter(pk=scene.site.sw_a.pk).update(serial="FDO2231X0AB7")
    result = scan(step, who=phone(users()["tess"]), raw=scene.tag_for("sw-a Eth1/1"), serial="SN-sw-a")
    assert not result.matched and "serial typed does not match" in result.message
    assert Discrepancy.objects.get().expected["serial"] == "FDO2231X0AB7"


def test_an_approver_does_not_resolve_a_discrepancy_they_reported(scene):
    from accounts.roles import Role
    from inventory.models import InventoryRefused
    from tests.builders.people import make_user

    ada, april = users()["ada"], make_user("april", Role.APPROVER)
    tag = scene.tags["sw-c"].reissue(reason="label faded", by=ada)
    with pytest.raises(InventoryRefused, match="discrepancy was recorded"):
        tag.commission(serial="NOT-THE-SERIAL", by=ada)
    discrepancy = Discrepancy.objects.get()
    with pytest.raises(StepRefused, match="another approver resolves it"):
        resolve(discrepancy, who=phone(ada), resolution="my typo")
    resolve(discrepancy, who=phone(april), resolution="ada mistyped the serial; checked at the rack")
    discrepancy.refresh_from_db()
    assert discrepancy.status == DiscrepancyStatus.RESOLVED and discrepancy.resolved_by == april


def test_an_approver_working_the_change_cannot_resolve_its_discrepancy(scene):
    people = users()
    vic = people["vic"]
    vic.groups.add(Group.objects.get_or_create(name="approver")[0])
    finish_steps_before(scene, kind=IDENTITY)
    scan(scene.step(kind=IDENTITY), who=phone(people["tess"]), raw=scene.tag_for("sw-b Eth1/1"))
    with pytest.raises(StepRefused, match="another approver resolves"):
        resolve(Discrepancy.objects.get(), who=phone(vic), resolution="fine")


def test_a_wrong_label_blocks_even_without_a_serial(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    result = scan(
        scene.step(kind=DESTRUCTIVE), who=phone(users()["tess"]), raw=scene.tag_for("sw-b Eth1/1"), serial=""
    )
    assert not result.matched
    assert Discrepancy.objects.count() == 1
