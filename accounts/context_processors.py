from __future__ import annotations

from django.http import HttpRequest

from accounts.roles import roles_of, works_at_the_rack

PHONE_LAYOUT = "layouts/phone.html"
DESK_LAYOUT = "layouts/desktop.html"


def roles(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None:
        return {"user_roles": frozenset(), "page_layout": DESK_LAYOUT}
    # Lazy: pages that never ask about roles do not pay for the query. A page shared by techs and the desk
    # extends `page_layout`: the phone's layout for a tech, the desk's for everyone else (one look per person).
    return {"user_roles": _LazyRoles(user), "page_layout": lambda: page_layout(user)}


def page_layout(user) -> str:
    return PHONE_LAYOUT if works_at_the_rack(user) else DESK_LAYOUT


class _LazyRoles:
    def __init__(self, user) -> None:
        self._user = user

    def __contains__(self, name: str) -> bool:
        return any(role.value == name for role in roles_of(self._user))

    def __iter__(self):
        return iter(sorted(roles_of(self._user)))

    def __bool__(self) -> bool:
        return bool(roles_of(self._user))
