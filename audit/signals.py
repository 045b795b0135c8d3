from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.log import record
from audit.origin import client_ip, device_hash, network_of


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    # The browser a login succeeded from: later, the login limits let it past other people's guessing.
    device = device_hash(request) if request is not None else ""
    record("auth.login", actor=user, obj=user, payload={"device": device} if device else {})


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        # The session is flushed after this signal; the key recorded is the one that ends here.
        record("auth.logout", actor=user, obj=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))[:150]
    payload = {"username": username}
    if request is not None:
        # What the login limits count by (accounts/throttle.py): the network, so that hopping between the
        # addresses of one IPv6 /64 gains nothing, and the browser.
        payload |= {"network": network_of(client_ip(request)), "device": device_hash(request)}
    record("auth.login_failed", payload=payload)
