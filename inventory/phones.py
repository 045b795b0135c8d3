"""Which phone an act came from, and the one rule about it.

Two people check the same thing at the rack: one tech scans a step's asset and a second verifies it, one signs
and the other countersigns, one reads a chassis serial and another reads it again. Two people are two phones:
a colleague logging in on the first tech's phone is the first tech's phone acting twice. Every such pair asks
`Phone.made` here, so scans, signatures and serial readings never tell "the same phone" apart differently.

A phone is known by its long-lived device cookie (lockstep.middleware.DeviceCookieMiddleware, which survives
logging out and in) and by its login session. Both are kept only as SHA-256: either one vouches for a browser.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from audit.log import session_hash


def device_hash(device_id: str | None) -> str:
    """The device cookie as Lockstep keeps it."""
    return hashlib.sha256(device_id.encode()).hexdigest() if device_id else ""


@dataclass(frozen=True)
class Phone:
    """Where an act was made: the phone's device cookie and its login session, hashed ("" where unknown)."""

    device: str = ""
    session: str = ""

    @classmethod
    def of(cls, *, device_id: str | None, session_key: str | None) -> Phone:
        return cls(device=device_hash(device_id), session=session_hash(session_key))

    def made(self, earlier: Phone) -> bool:
        """Was `earlier` made on this phone? Yes if the two share the device cookie (whoever was logged in:
        logging out and in does not make a second phone) or the login session (which lives in one browser).
        An id that either act lacks proves nothing either way."""
        return bool(self.device and self.device == earlier.device) or bool(
            self.session and self.session == earlier.session
        )
