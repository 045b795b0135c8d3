"""Who holds which rights, held against the chain: changes to people made behind the application's back.

The chain records every change to people the application makes (audit/people.py), but `User.objects.update()`,
raw SQL and `loaddata` write no event. So each checkpoint carries a snapshot of who held which rights at its
event: per account its name, the active, staff and superuser flags, a digest of the password hash (an HMAC under
the checkpoint's key: never the hash), its groups and its own permissions; per group its permissions.

To check, the snapshot of the latest checkpoint is carried forward through the people events after it, in order
(`expected`), and compared with the tables as they are now (`differences`): whatever differs, the chain does not
explain. Where it stops: an event that says a password changed (or an account was made) vouches for whatever hash
that account holds until the next checkpoint, since the event never carries the hash; so a hash swapped behind the
app's back in that same window is not seen. Email and names are not rights and are not held.

The tables are read with the head around them (`read`): if an append moved the head meanwhile, they are read
again, so the snapshot is the people exactly as they stood at one event.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from audit.keys import AuditKey
from audit.models import GENESIS_HASH, AuditEvent, AuditHead

User = get_user_model()
FLAGS = ("is_active", "is_staff", "is_superuser")
# Said of a password the chain vouches for without knowing its hash (see above).
ANY = None
ACTIONS = (
    "user.created",
    "user.changed",
    "user.password_changed",
    "user.password_rehashed",
    "user.deleted",
    "user.roles_changed",
    "user.permissions_changed",
    "group.created",
    "group.renamed",
    "group.deleted",
    "group.permissions_changed",
)


@dataclass(frozen=True)
class People:
    """The tables as they stood at event #seq. Password hashes stay here, in memory: `snapshot` digests them."""

    seq: int
    hash: str
    users: list[dict[str, Any]]
    groups: dict[str, list[str]]

    def snapshot(self, key: AuditKey) -> dict[str, Any]:
        """What a checkpoint signed with `key` holds."""
        return {
            "users": {
                str(user["pk"]): {
                    "username": user["username"],
                    **{flag: user[flag] for flag in FLAGS},
                    "password": key.sign(b"lockstep-password\0" + user["password"].encode())[:24],
                    "groups": user["groups"],
                    "permissions": user["permissions"],
                }
                for user in self.users
            },
            "groups": self.groups,
        }


def _head() -> tuple[int, str]:
    head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
    return head or (0, GENESIS_HASH)


def _tables() -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    groups_of: dict[int, list[str]] = {}
    for user_id, name in User.groups.through.objects.values_list("user_id", "group__name"):
        groups_of.setdefault(user_id, []).append(name)
    permissions_of: dict[int, list[str]] = {}
    for user_id, app, codename in User.user_permissions.through.objects.values_list(
        "user_id", "permission__content_type__app_label", "permission__codename"
    ):
        permissions_of.setdefault(user_id, []).append(f"{app}.{codename}")
    users = [
        {
            **row,
            "groups": sorted(groups_of.get(row["pk"], [])),
            "permissions": sorted(permissions_of.get(row["pk"], [])),
        }
        for row in User.objects.order_by("pk").values("pk", "username", *FLAGS, "password")
    ]
    groups: dict[str, list[str]] = {name: [] for name in Group.objects.values_list("name", flat=True)}
    for name, app, codename in Group.permissions.through.objects.values_list(
        "group__name", "permission__content_type__app_label", "permission__codename"
    ):
        groups[name].append(f"{app}.{codename}")
    return users, {name: sorted(perms) for name, perms in sorted(groups.items())}


def read(*, attempts: int = 5) -> People:
    """The people as they stood at the head. A change made through the app commits with its event, so if the head
    did not move while the tables were read, they match it."""
    for _ in range(attempts):
        before = _head()
        users, groups = _tables()
        if _head() == before:
            return People(before[0], before[1], users, groups)
    # A busy log: hold the head (every append waits on it) for the few reads.
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).values_list("seq", "hash").first()
        users, groups = _tables()
    seq, hash_ = head or (0, GENESIS_HASH)
    return People(seq, hash_, users, groups)


def _apply(people: dict[str, Any], event: AuditEvent) -> None:
    users, groups, payload = people["users"], people["groups"], event.payload
    if event.action.startswith("group."):
        name = event.object_repr
        if event.action == "group.created":
            groups.setdefault(str(payload.get("name", name)), [])
        elif event.action == "group.renamed":
            old, new = str(payload.get("from")), str(payload.get("to"))
            groups[new] = groups.pop(old, [])
            for user in users.values():
                user["groups"] = sorted(new if group == old else group for group in user["groups"])
        elif event.action == "group.deleted":
            gone = str(payload.get("name", name))
            groups.pop(gone, None)
            for user in users.values():
                user["groups"] = [group for group in user["groups"] if group != gone]
        else:  # group.permissions_changed
            groups[name] = _changed(groups.get(name, []), payload)
        return
    pk = event.object_id
    if event.action == "user.created":
        flags = {flag: payload.get(flag) for flag in FLAGS}
        users[pk] = {"username": payload.get("username", event.object_repr), **flags}
        users[pk] |= {"password": ANY, "groups": [], "permissions": []}
        return
    user = users.get(pk)
    if user is None:
        return  # a change to an account the snapshot does not hold: the comparison says so
    if event.action == "user.deleted":
        del users[pk]
    elif event.action == "user.changed":
        for field, change in (payload.get("changes") or {}).items():
            if field in ("username", *FLAGS) and isinstance(change, dict) and "to" in change:
                user[field] = change["to"]
    elif event.action in ("user.password_changed", "user.password_rehashed"):
        user["password"] = ANY
    elif event.action == "user.roles_changed":
        user["groups"] = _changed(user["groups"], payload)
    elif event.action == "user.permissions_changed":
        user["permissions"] = _changed(user["permissions"], payload)


def _changed(names: list[str], payload: dict[str, Any]) -> list[str]:
    now = set(names) | {str(name) for name in payload.get("added", [])}
    return sorted(now - {str(name) for name in payload.get("removed", [])})


def expected(snapshot: dict[str, Any], *, after: int, through: int) -> dict[str, Any]:
    """The snapshot carried forward through the people events from #after+1 to #through."""
    people = copy.deepcopy(snapshot)
    events = AuditEvent.objects.filter(seq__gt=after, seq__lte=through, action__in=ACTIONS).order_by("seq")
    for event in events.only("seq", "action", "object_id", "object_repr", "payload"):
        _apply(people, event)
    return people


def _listed(label: str, before: list[str], after: list[str]) -> str:
    added, removed = sorted(set(after) - set(before)), sorted(set(before) - set(after))
    said = [f"+{name}" for name in added] + [f"-{name}" for name in removed]
    return f"{label} {', '.join(said)}"


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """What the tables hold that the chain does not explain, by account (or group) and field. A password is named,
    never its hash or digest."""
    said: list[str] = []
    want, have = expected.get("users", {}), actual["users"]
    for pk in sorted(set(want) | set(have), key=lambda key: (len(key), key)):
        old, new = want.get(pk), have.get(pk)
        if old is None:
            said.append(f"{new['username']}: account made outside the app")
            continue
        if new is None:
            said.append(f"{old['username']}: account removed outside the app")
            continue
        name = new["username"]
        if old["username"] != name:
            said.append(f"{old['username']}: renamed to {name} outside the app")
        for flag in FLAGS:
            if old.get(flag) != new[flag]:
                said.append(f"{name}: {flag} {old.get(flag)} → {new[flag]} outside the app")
        if old.get("password") is not ANY and old.get("password") != new["password"]:
            said.append(f"{name}: password changed outside the app")
        for field, label in (("groups", "roles (groups)"), ("permissions", "permissions")):
            if sorted(old.get(field, [])) != new[field]:
                said.append(f"{name}: {_listed(label, old.get(field, []), new[field])} outside the app")
    want_groups, have_groups = expected.get("groups", {}), actual["groups"]
    for name in sorted(set(want_groups) | set(have_groups)):
        if name not in want_groups:
            said.append(f"group {name}: made outside the app")
        elif name not in have_groups:
            said.append(f"group {name}: removed outside the app")
        elif sorted(want_groups[name]) != have_groups[name]:
            said.append(
                f"group {name}: {_listed('permissions', want_groups[name], have_groups[name])} outside the app"
            )
    return said
