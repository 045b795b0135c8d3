"""Roles are Django groups, created by a data migration. Code asks about roles only through here."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse


class Role(models.TextChoices):
    TECH = "tech", "Tech"
    APPROVER = "approver", "Approver"
    COORDINATOR = "coordinator", "Coordinator"
    ADMIN = "admin", "Admin"


def roles_of(user: AbstractBaseUser | AnonymousUser) -> frozenset[Role]:
    """The user's roles, read once per request and kept on the user object."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_lockstep_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        user._lockstep_roles = cached
    return cached


def has_role(user: AbstractBaseUser | AnonymousUser, role: Role) -> bool:
    return role in roles_of(user)


DESK_ROLES = frozenset({Role.APPROVER, Role.COORDINATOR, Role.ADMIN})


def works_at_the_rack(user: AbstractBaseUser | AnonymousUser) -> bool:
    """A tech with no desk role: every page they open is laid out for the phone in their hand."""
    roles = roles_of(user)
    return Role.TECH in roles and not roles & DESK_ROLES


def role_required(*roles: Role) -> Callable:
    """Anonymous users go to the login page; logged-in users without one of `roles` get a 403 page."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not roles_of(request.user) & set(roles):
                wanted = " or ".join(role.label.lower() for role in roles)
                raise PermissionDenied(f"This page is for the {wanted} role.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
