"""Changes to people are on the chain, wherever they are made: the admin, the shell, a command."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission, User
from django.forms import MultiWidget

from accounts.roles import Role
from audit.log import verify_chain
from audit.models import AuditEvent
from tests.builders.people import PASSWORD


def _events(*actions: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__in=actions).order_by("seq"))


def _admin_change(client, user: User, **changes) -> None:
    """Post the admin's user form as the browser would: every field as the page shows it, with the changes."""
    url = f"/admin/auth/user/{user.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = changes.get(name, form[name].value())
        if isinstance(field.widget, MultiWidget):
            for i, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{i}"] = "" if part is None else part
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors


def test_a_superuser_granting_himself_a_role_in_the_admin_is_on_the_chain(sam, client):
    approver = Group.objects.get_or_create(name=Role.APPROVER.value)[0]
    client.force_login(sam)

    _admin_change(client, sam, groups=[*sam.groups.values_list("pk", flat=True), approver.pk])

    [grant] = _events("user.roles_changed")[-1:]
    assert grant.actor == sam and grant.object_id == str(sam.pk)
    assert grant.payload["added"] == [Role.APPROVER.value]
    assert grant.payload["via"] == f"POST /admin/auth/user/{sam.pk}/change/"
    assert verify_chain().ok


def test_flags_changed_in_the_admin_say_from_what_to_what(sam, ada, client):
    client.force_login(sam)

    _admin_change(client, ada, is_superuser=True, is_staff=True)

    [change] = _events("user.changed")
    assert change.actor == sam and change.object_id == str(ada.pk)
    assert change.payload["changes"] == {
        "is_staff": {"from": False, "to": True},
        "is_superuser": {"from": False, "to": True},
    }


def test_a_password_set_in_the_admin_is_on_the_chain_without_the_password(sam, ada, client):
    client.force_login(sam)
    url = f"/admin/auth/user/{ada.pk}/password/"
    response = client.post(url, {"password1": "a-new-long-password-1", "password2": "a-new-long-password-1"})
    assert response.status_code == 302

    [changed] = _events("user.password_changed")
    assert changed.actor == sam and changed.object_id == str(ada.pk)
    ada.refresh_from_db()
    assert ada.password not in str(changed.payload) and "a-new-long" not in str(changed.payload)
    assert ada.password.split("$")[-1] not in changed.canonical().decode()


def test_a_password_reset_by_its_owner_is_on_the_chain(tess, client):
    client.force_login(tess)
    tess.set_password("another-long-password")
    tess.save()
    assert [e.object_id for e in _events("user.password_changed")] == [str(tess.pk)]


def test_changes_from_the_shell_are_on_the_chain_as_the_command_line(tess, monkeypatch):
    monkeypatch.setattr("sys.argv", ["manage.py", "shell"])
    approver = Group.objects.get_or_create(name=Role.APPROVER.value)[0]

    tess.groups.add(approver)
    approver.user_set.remove(tess)  # from the other side too
    tess.is_superuser = True
    tess.save()

    added, removed = _events("user.roles_changed")[-2:]
    assert (added.payload["added"], removed.payload["removed"]) == (
        [Role.APPROVER.value],
        [Role.APPROVER.value],
    )
    assert added.actor is None and added.payload["via"] == "manage.py shell"
    assert removed.object_id == str(tess.pk)
    assert _events("user.changed")[-1].payload["changes"] == {"is_superuser": {"from": False, "to": True}}


def test_accounts_made_and_removed_and_roles_cleared_are_on_the_chain(db):
    olive = User.objects.create_user("olive2", password=PASSWORD, is_staff=True)
    group = Group.objects.create(name="night shift")
    olive.groups.add(group)
    olive.groups.clear()
    olive_pk = olive.pk
    olive.delete()
    group.delete()

    made = _events("user.created")[-1]
    assert made.payload["username"] == "olive2" and made.payload["is_staff"] is True
    assert _events("user.roles_changed")[-1].payload["removed"] == ["night shift"]
    gone = _events("user.deleted")[-1]
    assert gone.object_id == str(olive_pk) and gone.payload["username"] == "olive2"
    assert [e.payload["name"] for e in _events("group.created", "group.deleted")][-2:] == ["night shift"] * 2


def test_permissions_given_to_a_person_or_a_role_are_on_the_chain(tess):
    permission = Permission.objects.get(codename="change_user")
    tess.user_permissions.add(permission)
    group = Group.objects.create(name="helpers")
    group.permissions.add(permission)

    assert _events("user.permissions_changed")[-1].payload["added"] == ["auth.change_user"]
    assert _events("group.permissions_changed")[-1].payload["added"] == ["auth.change_user"]


def test_a_login_stamp_is_not_a_change_to_the_person(tess, client):
    response = client.post("/login/", {"username": "tess", "password": PASSWORD})
    assert response.status_code == 302 and _events("auth.login")
    assert _events("user.changed", "user.password_changed") == []


def test_renaming_a_group_is_on_the_chain(db):
    """Roles are groups found by name: a rename can make a role (or take one away)."""
    group = Group.objects.create(name="night shift")
    group.name = "day shift"
    group.save()
    renamed = _events("group.renamed")[-1].payload
    assert (renamed["from"], renamed["to"]) == ("night shift", "day shift")


def test_a_stronger_hash_on_login_is_said_as_such_and_an_unusable_password_too(tess):
    tess.set_password(PASSWORD)
    tess.save(update_fields=["password"])  # what Django does when it upgrades a hash at login
    tess.set_unusable_password()
    tess.save()
    rehashed, changed = _events("user.password_rehashed", "user.password_changed")[-2:]
    assert rehashed.action == "user.password_rehashed" and rehashed.payload["usable"] is True
    assert changed.action == "user.password_changed" and changed.payload["usable"] is False


def test_a_save_of_some_fields_reports_only_those(tess):
    tess.is_superuser = True  # changed in memory, not saved
    tess.email = "tess@example.net"
    tess.save(update_fields=["email"])
    assert _events("user.changed")[-1].payload["changes"] == {"email": {"from": "", "to": "tess@example.net"}}
