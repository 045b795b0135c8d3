"""The one rule about phones (inventory.phones.Phone.made), as scans, signatures and serial readings ask it."""

from __future__ import annotations

from inventory.phones import Phone

TESS_PHONE = "device-of-tess-0123456789"
VIC_PHONE = "device-of-vic-01234567890"


def test_logging_out_and_in_on_one_phone_is_still_that_phone():
    tess_read = Phone.of(device_id=TESS_PHONE, session_key="tess-session")
    vic_on_tess_phone = Phone.of(device_id=TESS_PHONE, session_key="vic-session")

    assert vic_on_tess_phone.made(tess_read)


def test_one_login_session_is_one_phone_whatever_cookie_it_sends():
    assert Phone.of(device_id=VIC_PHONE, session_key="shared").made(
        Phone.of(device_id=TESS_PHONE, session_key="shared")
    )


def test_two_phones_with_their_own_sessions_are_two_phones():
    assert not Phone.of(device_id=VIC_PHONE, session_key="v").made(
        Phone.of(device_id=TESS_PHONE, session_key="t")
    )


def test_what_an_act_did_not_carry_proves_nothing():
    nothing = Phone()
    assert not nothing.made(Phone())
    assert not Phone.of(device_id=TESS_PHONE, session_key=None).made(
        Phone.of(device_id=None, session_key="t")
    )


def test_the_phone_keeps_only_hashes():
    phone = Phone.of(device_id=TESS_PHONE, session_key="tess-session")
    assert TESS_PHONE not in phone.device and "tess-session" not in phone.session
    assert len(phone.device) == len(phone.session) == 64
