from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from accounts.roles import UserMay, works_at_the_rack

PHONE_LAYOUT = "layouts/phone.html"
DESK_LAYOUT = "layouts/desktop.html"


def roles(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None:
        return {"user_may": UserMay(AnonymousUser()), "page_layout": DESK_LAYOUT}
    # Lazy: pages that never ask about roles do not pay for the query. A page shared by techs and the desk
    # extends `page_layout`: the phone's layout for a tech, the desk's for everyone else (one look per person).
    return {"user_may": UserMay(user), "page_layout": lambda: page_layout(user)}


def page_layout(user) -> str:
    return PHONE_LAYOUT if works_at_the_rack(user) else DESK_LAYOUT
