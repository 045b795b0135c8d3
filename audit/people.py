"""Changes to people are on the chain: accounts made and removed, roles (groups) and permissions granted and
taken away, passwords set or reset, staff and superuser flags, wherever they are made (the admin, the shell,
a management command), since they are model signals, not view code.

A password is never written down, not even hashed: the event says it was changed, by whom, and from where.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from audit.context import current_request
from audit.log import record

User = get_user_model()
WATCHED = (
    "username",
    "email",
    "first_name",
    "last_name",
    "is_active",
    "is_staff",
    "is_superuser",
    "password",
)
SECRET = {"password"}


def _who_and_where() -> tuple[Any, str]:
    request = current_request()
    if request is not None:
        return getattr(request, "user", None), f"{request.method} {request.path}"[:200]
    program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if program == "manage.py" and len(sys.argv) > 1:
        return None, f"manage.py {sys.argv[1]}"[:200]
    return None, program[:200] or "a script"


def _write(action: str, obj, payload: dict[str, Any]) -> None:
    actor, via = _who_and_where()
    record(action, actor=actor, obj=obj, payload={**payload, "via": via})


@receiver(pre_save, sender=User, dispatch_uid="audit_user_before")
def _user_before(sender, instance, update_fields=None, raw=False, **kwargs) -> None:
    instance._audit_before = None
    if raw or instance._state.adding or instance.pk is None:
        return
    fields = WATCHED if update_fields is None else [f for f in WATCHED if f in set(update_fields)]
    if not fields:
        return  # every login stamps last_login; the login itself is the event
    instance._audit_before = User.objects.filter(pk=instance.pk).values(*fields).first()
    # Django re-hashes a password in a stronger way when its owner logs in (saving only the password): the
    # same password, so it is said as such, not as a change.
    instance._audit_rehash = update_fields is not None and set(update_fields) == {"password"}


@receiver(post_save, sender=User, dispatch_uid="audit_user_after")
def _user_after(sender, instance, created, raw=False, **kwargs) -> None:
    if raw:
        return
    if created:
        flags = {field: getattr(instance, field) for field in ("is_active", "is_staff", "is_superuser")}
        _write("user.created", instance, {"username": instance.get_username(), **flags})
        return
    before = getattr(instance, "_audit_before", None)
    instance._audit_before = None
    if not before:
        return
    changes = {}
    for field in before:
        old, new = before[field], getattr(instance, field)
        if old != new:
            changes[field] = "changed" if field in SECRET else {"from": old, "to": new}
    if changes.pop("password", None):
        action = (
            "user.password_rehashed" if getattr(instance, "_audit_rehash", False) else "user.password_changed"
        )
        _write(
            action, instance, {"username": instance.get_username(), "usable": instance.has_usable_password()}
        )
    if changes:
        _write("user.changed", instance, {"changes": changes})


@receiver(post_delete, sender=User, dispatch_uid="audit_user_deleted")
def _user_deleted(sender, instance, **kwargs) -> None:
    _write("user.deleted", instance, {"username": instance.get_username()})


@receiver(pre_save, sender=Group, dispatch_uid="audit_group_before")
def _group_before(sender, instance, raw=False, **kwargs) -> None:
    # Roles are groups found by name: renaming one can grant a role as surely as adding a person to it.
    instance._audit_name = (
        None
        if raw or instance._state.adding
        else Group.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
    )


@receiver(post_save, sender=Group, dispatch_uid="audit_group_saved")
def _group_saved(sender, instance, created, raw=False, **kwargs) -> None:
    if raw:
        return
    if created:
        _write("group.created", instance, {"name": instance.name})
    elif (before := getattr(instance, "_audit_name", None)) is not None and before != instance.name:
        _write("group.renamed", instance, {"from": before, "to": instance.name})


@receiver(post_delete, sender=Group, dispatch_uid="audit_group_deleted")
def _group_deleted(sender, instance, **kwargs) -> None:
    _write("group.deleted", instance, {"name": instance.name})


def _names(model, pks) -> list[str]:
    if model is Permission:
        rows = Permission.objects.filter(pk__in=pks).select_related("content_type")
        return sorted(f"{p.content_type.app_label}.{p.codename}" for p in rows)
    return sorted(str(obj) for obj in model.objects.filter(pk__in=pks))


def _membership(audit_action: str, *, owner_model, member_model, label: str):
    """One receiver for a many-to-many between people (or groups) and what they are given, made from either
    side: `user.groups.add(group)` (pk_set holds groups) or `group.user_set.add(user)` (pk_set holds users)."""

    def changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
        if action == "pre_clear":
            # Nothing says what a clear took away, so it is read before it happens.
            there = (
                getattr(instance, label) if not reverse else owner_model.objects.filter(**{label: instance})
            )
            instance._audit_cleared = set(there.values_list("pk", flat=True))
            return
        if action == "post_clear":
            pk_set, instance._audit_cleared = getattr(instance, "_audit_cleared", set()), set()
        elif action not in ("post_add", "post_remove"):
            return
        if not pk_set:
            return
        verb = "added" if action == "post_add" else "removed"
        if not reverse:
            _write(audit_action, instance, {verb: _names(member_model, pk_set)})
            return
        given = _names(member_model, [instance.pk])
        for owner in owner_model.objects.filter(pk__in=pk_set).order_by("pk"):
            _write(audit_action, owner, {verb: given})

    return changed


def _watch(audit_action: str, through, **how) -> None:
    m2m_changed.connect(
        _membership(audit_action, **how), sender=through, dispatch_uid=f"audit_{audit_action}", weak=False
    )


_watch("user.roles_changed", User.groups.through, owner_model=User, member_model=Group, label="groups")
_watch(
    "user.permissions_changed",
    User.user_permissions.through,
    owner_model=User,
    member_model=Permission,
    label="user_permissions",
)
_watch(
    "group.permissions_changed",
    Group.permissions.through,
    owner_model=Group,
    member_model=Permission,
    label="permissions",
)
