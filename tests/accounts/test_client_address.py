"""The client's address is read once (audit/origin.py), for the audit log and the login limits alike: through
the configured number of trusted proxies, with ports and brackets stripped, and an unreadable one is recorded
as unreadable and counted in one shared network, never waved through."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from tests.builders.interpreters import run

PROXY = "10.0.0.2"


def _wrong_password(client, forwarded: str | None, *, remote: str = PROXY):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client.post(
        reverse("login"), {"username": "tess", "password": "guess"}, REMOTE_ADDR=remote, **extra
    )


@pytest.mark.parametrize(
    ("forwarded", "address", "network"),
    [
        ("198.51.100.7", "198.51.100.7", "198.51.100.7"),
        ("198.51.100.7:51234", "198.51.100.7", "198.51.100.7"),
        ("[2001:db8::1]:443", "2001:db8::1", "2001:db8::/64"),
        ("[2001:db8::1]", "2001:db8::1", "2001:db8::/64"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1", "2001:db8::/64"),
        # An IPv4 client as a dual-stack proxy writes it: the IPv4 address, not the one /64 all of them share.
        ("::ffff:198.51.100.7", "198.51.100.7", "198.51.100.7"),
        # What the client claimed comes first; only the entry our proxy appended counts.
        ("203.0.113.66, 198.51.100.7", "198.51.100.7", "198.51.100.7"),
        ("unknown", "", "unknown"),
        ("", "", "unknown"),
        ("_hidden", "", "unknown"),
        ("198.51.100.7:port", "", "unknown"),
        # An empty last entry does not fall back to the client's own claim before it.
        ("198.51.100.7, ", "", "unknown"),
        (None, "", "unknown"),
    ],
)
def test_behind_one_proxy_the_log_records_the_address_the_proxy_saw(
    client, tess, settings, forwarded, address, network
):
    settings.LOCKSTEP_TRUSTED_PROXIES = 1
    response = _wrong_password(client, forwarded)
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert (event.ip, event.payload["network"]) == (address, network)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "address"),
    [
        # client (claims 203.0.113.66) -> load balancer (saw 198.51.100.7) -> nginx (saw 10.0.0.1) -> app
        (2, "203.0.113.66, 198.51.100.7, 10.0.0.1", "198.51.100.7"),
        (2, "198.51.100.7, 10.0.0.1", "198.51.100.7"),
        (3, "[2001:db8::1]:443, 10.0.0.1, 10.0.0.3", "2001:db8::1"),
        # Fewer entries than proxies: it did not come through them all, so nothing in it can be trusted.
        (2, "10.0.0.1", ""),
        # No proxy in front: the header is only the client's claim; the connection is the address.
        (0, "198.51.100.7", PROXY),
    ],
)
def test_with_several_proxies_the_client_is_that_many_entries_from_the_right(
    client, tess, settings, proxies, forwarded, address
):
    settings.LOCKSTEP_TRUSTED_PROXIES = proxies
    _wrong_password(client, forwarded)
    assert AuditEvent.objects.get(action="auth.login_failed").ip == address


def test_a_successful_login_is_recorded_from_the_same_address(client, tess, settings):
    from tests.builders.people import PASSWORD

    settings.LOCKSTEP_TRUSTED_PROXIES = 1
    client.post(
        reverse("login"),
        {"username": "tess", "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="[2001:db8::7]:51234",
    )
    assert AuditEvent.objects.get(action="auth.login").ip == "2001:db8::7"


@pytest.mark.parametrize(
    "forwarded",
    [
        "a" * 5000,
        "[::1",
        "[2001:db8::1]:https",
        "2001:db8::1]:443",
        "fe80::1%eth0",
        "\u0661\u0662\u0667.0.0.1",
        "999.1.1.1",
        ",,,,",
        " , ",
        "1.2.3.4, [",
        "198.51.100.7:99999999",
    ],
)
@pytest.mark.parametrize("proxies", [0, 1, 2])
def test_a_hostile_forwarded_header_is_never_an_error(client, tess, settings, forwarded, proxies):
    settings.LOCKSTEP_TRUSTED_PROXIES = proxies
    assert _wrong_password(client, forwarded, remote=forwarded[:100]).status_code == 200
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 1


def _trusted_proxies(tmp_path, **env: str) -> str:
    probe = "import django; from django.conf import settings; django.setup(); print(settings.LOCKSTEP_TRUSTED_PROXIES)"
    blank = {"LOCKSTEP_TRUSTED_PROXIES": "", "TRUST_X_FORWARDED_FOR": ""}
    result = run(blank | {"LOCKSTEP_VAR_DIR": str(tmp_path)} | env, "-c", probe)
    return (result.stdout + result.stderr).strip()


def test_the_proxy_count_comes_from_the_environment_and_the_older_switch_still_means_one(tmp_path):
    assert _trusted_proxies(tmp_path) == "0"
    assert _trusted_proxies(tmp_path, LOCKSTEP_TRUSTED_PROXIES="2") == "2"
    assert _trusted_proxies(tmp_path, TRUST_X_FORWARDED_FOR="1") == "1"
    assert "LOCKSTEP_TRUSTED_PROXIES must be 0 or more" in _trusted_proxies(
        tmp_path, LOCKSTEP_TRUSTED_PROXIES="-1"
    )
