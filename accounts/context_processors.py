from __future__ import annotations

from django.http import HttpRequest

from accounts.roles import roles_of


def roles(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None:
        return {"user_roles": frozenset()}
    # Lazy: pages that never ask about roles do not pay for the query.
    return {"user_roles": _LazyRoles(user)}


class _LazyRoles:
    def __init__(self, user) -> None:
        self._user = user

    def __contains__(self, name: str) -> bool:
        return any(role.value == name for role in roles_of(self._user))

    def __iter__(self):
        return iter(sorted(roles_of(self._user)))

    def __bool__(self) -> bool:
        return bool(roles_of(self._user))
