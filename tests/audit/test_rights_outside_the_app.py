"""Rights given or taken away behind the application's back (`update()`, raw SQL, `loaddata`) write no event:
each checkpoint holds who held which rights, and what the chain does not explain since is named, by account and
field, never with a password hash."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission, User
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.roles import Role
from audit import checkpoints, keys
from audit.log import verify_chain
from audit.models import AuditEvent
from maintenance.models import TargetAction
from maintenance.runbook_pdf import runbook_html
from tests.builders.scenes import build_scene


@pytest.fixture
def checkpointed(tess, olive, ada):
    call_command("audit_checkpoint", verbosity=0)


def _broken() -> str:
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit")
    return str(failure.value)


def test_a_superuser_made_with_update_is_named_and_never_checkpointed(checkpointed):
    before = checkpoints.path().read_text()
    User.objects.filter(username="olive").update(is_superuser=True, is_staff=True)

    said = _broken()

    assert "who holds which rights changed outside the app" in said
    assert "olive: is_staff False → True outside the app" in said
    assert "olive: is_superuser False → True outside the app" in said
    with pytest.raises(CommandError, match="no checkpoint written: who holds which rights changed"):
        call_command("audit_checkpoint")
    assert checkpoints.path().read_text() == before


def test_an_account_switched_off_with_update_is_named(checkpointed):
    User.objects.filter(username="ada").update(is_active=False)

    assert "ada: is_active True → False outside the app" in _broken()


def test_a_password_hash_swapped_in_sql_is_named_but_never_shown(checkpointed, tess):
    forged = make_password("mallory-knows-this")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE auth_user SET password = %s WHERE username = 'tess'", [forged])

    said = _broken()

    assert "tess: password changed outside the app" in said
    assert forged not in said and forged.split("$")[-1] not in said
    assert tess.password not in said and tess.password.split("$")[-1] not in said


def test_a_role_and_a_permission_granted_in_sql_are_named(checkpointed, olive):
    approver = Group.objects.get(name=Role.APPROVER.value)
    permission = Permission.objects.get(codename="delete_user")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO auth_user_groups (user_id, group_id) VALUES (%s, %s)", [olive.pk, approver.pk]
        )
        cursor.execute(
            "INSERT INTO auth_group_permissions (group_id, permission_id) VALUES (%s, %s)",
            [approver.pk, permission.pk],
        )

    said = _broken()

    assert f"olive: roles (groups) +{Role.APPROVER.value} outside the app" in said
    assert f"group {Role.APPROVER.value}: permissions +auth.delete_user outside the app" in said


def test_an_account_loaded_with_loaddata_is_named(checkpointed, tmp_path):
    fixture = tmp_path / "people.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "auth.user",
                    "pk": 900,
                    "fields": {
                        "username": "mallory",
                        "password": make_password("x"),
                        "is_superuser": True,
                        "is_staff": True,
                        "is_active": True,
                    },
                }
            ]
        )
    )
    call_command("loaddata", str(fixture), verbosity=0)

    assert "mallory: account made outside the app" in _broken()


def test_changes_made_through_the_app_are_explained_by_the_chain(checkpointed, tess, olive, ada, sam):
    approver = Group.objects.get(name=Role.APPROVER.value)
    olive.is_staff = True
    olive.save()
    olive.groups.add(approver)
    approver.user_set.remove(ada)
    tess.set_password("a-new-long-password")
    tess.save()
    tess.user_permissions.add(Permission.objects.get(codename="view_user"))
    approver.permissions.add(Permission.objects.get(codename="view_group"))
    approver.name = "approvers"
    approver.save()
    Group.objects.create(name="auditors").user_set.add(tess)
    Group.objects.get(name=Role.COORDINATOR.value).delete()
    User.objects.create_user("newbie", password="x" * 12, is_staff=True)
    User.objects.get(username="olive").groups.clear()

    report = verify_chain(since_checkpoint=True)

    assert report.ok, report.message
    call_command("audit_checkpoint", verbosity=0)
    assert verify_chain().ok


def test_the_as_run_record_says_so_too(db):
    scene = build_scene(targets=lambda site: [(TargetAction.UNPLUG, site.port(site.sw_a, "Eth1/2"))])
    call_command("audit_checkpoint", verbosity=0)
    User.objects.filter(username="vic").update(is_superuser=True)

    html = runbook_html(scene.window, as_run=True)

    assert "AUDIT LOG DOES NOT VERIFY: who holds which rights changed outside the app" in html
    assert "vic: is_superuser False → True outside the app" in html
    assert "audit chain verified" not in html


def test_trust_takes_the_differences_on_the_record_by_name(checkpointed):
    User.objects.filter(username="olive").update(is_staff=True)

    call_command("audit_trust", "--reason", "olive was made staff by the old provisioning script")

    trust = AuditEvent.objects.get(action="audit.chain_trusted")
    assert trust.payload["trusted"] == ["olive: is_staff False → True outside the app"]
    assert trust.payload["reason"] == "olive was made staff by the old provisioning script"
    assert checkpoints.latest().seq == trust.seq
    call_command("verify_audit")
    User.objects.filter(username="olive").update(is_superuser=True)
    assert "olive: is_superuser False → True" in _broken()


def test_a_checkpoint_from_before_rights_were_held_asks_for_trust_once(checkpointed):
    """Lines written by an older Lockstep carry no record of rights: nothing says who held what there."""
    key = keys.current()
    old = checkpoints.latest()
    older = checkpoints.Checkpoint(seq=old.seq, hash=old.hash, at=old.at, key_id=key.id)
    checkpoints.path().write_text(
        checkpoints.Checkpoint(**{**older.__dict__, "sig": key.sign(older.body())}).text() + "\n"
    )

    assert "holds no record of who held which rights" in _broken()
    with pytest.raises(CommandError, match="no checkpoint written"):
        call_command("audit_checkpoint")

    call_command("audit_trust", "--reason", "upgraded: checkpoints now hold who has which rights")
    call_command("verify_audit")
