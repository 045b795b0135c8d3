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


# Who opens which pages, as the pages' decorators let them in: the navigation below asks the same sets, and
# tests/accounts/test_navigation.py holds the two together (a link is shown exactly to those the page admits).
# Tuples, in the order a refusal names them ("This page is for the coordinator or admin role.").
ANY_ROLE = (Role.TECH, Role.APPROVER, Role.COORDINATOR, Role.ADMIN)
RESPONDERS = (Role.COORDINATOR, Role.APPROVER)  # incidents and debriefs
OUTBOX_READERS = (Role.COORDINATOR, Role.ADMIN)
DISCREPANCY_READERS = (Role.APPROVER, Role.ADMIN)


def has_any_role(user: AbstractBaseUser | AnonymousUser, roles: tuple[Role, ...]) -> bool:
    return not roles_of(user).isdisjoint(roles)


class UserMay:
    """What the user may open, asked by the navigation and the pages that link onward (`user_may` in every
    template, from `accounts.context_processors`), so no template compares role names. Lazy: a page that
    never asks does not read the user's groups."""

    def __init__(self, user: AbstractBaseUser | AnonymousUser) -> None:
        self._user = user

    @property
    def work(self) -> bool:
        """Has a role at all: windows and inventory are open to every role."""
        return has_any_role(self._user, ANY_ROLE)

    @property
    def work_today(self) -> bool:
        return has_role(self._user, Role.TECH)

    @property
    def approve(self) -> bool:
        return has_role(self._user, Role.APPROVER)

    @property
    def coordinate(self) -> bool:
        return has_role(self._user, Role.COORDINATOR)

    @property
    def respond(self) -> bool:
        """Incidents and debriefs."""
        return has_any_role(self._user, RESPONDERS)

    @property
    def read_outbox(self) -> bool:
        return has_any_role(self._user, OUTBOX_READERS)

    @property
    def read_discrepancies(self) -> bool:
        return has_any_role(self._user, DISCREPANCY_READERS)

    @property
    def administer(self) -> bool:
        return has_role(self._user, Role.ADMIN)


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
