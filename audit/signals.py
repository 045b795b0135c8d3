from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.log import record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    record("auth.login", actor=user, obj=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        # The session is flushed after this signal; the key recorded is the one that ends here.
        record("auth.logout", actor=user, obj=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))[:150]
    record("auth.login_failed", payload={"username": username})
