"""Tag codes.

The QR holds a long code (80 random bits, Crockford base32: no I, L, O or U to misread). Under the QR a short
code for typing with a glove: 8 random characters and a check character (Luhn mod 32, so the check is a letter
or digit from the same alphabet, easy on a phone keyboard), so any single mistyped character and nearly every
swap of two neighbours is refused instead of matching another tag.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
CODE_LENGTH = 16  # 16 x 5 bits = 80 random bits
SHORT_BODY = 8
SHORT_LENGTH = SHORT_BODY + 1

CODE_RE = re.compile(rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$")
# Readers confuse these; Crockford's decoding rules map them back.
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0"})


class BadCode(ValueError):
    """A code that cannot be a Lockstep tag, with a message for the person who typed or scanned it."""


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def check_symbol(body: str) -> str:
    """Luhn mod N over the alphabet: doubling every other value catches single errors and adjacent swaps
    (all but a swap of 0 and Z, the one blind spot of the method)."""
    n = len(ALPHABET)
    total = 0
    factor = 2
    for ch in reversed(body):
        addend = factor * ALPHABET.index(ch)
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def new_short_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(SHORT_BODY))
    return body + check_symbol(body)


def format_short(short_code: str) -> str:
    """ABCD-EFGH-K: grouped for reading aloud and typing."""
    return f"{short_code[:4]}-{short_code[4:8]}-{short_code[8:]}"


def parse_code(raw: str) -> str:
    """A long (QR) code, normalized; BadCode if it cannot be one."""
    text = (raw or "").strip().upper().translate(_CONFUSABLE)
    if len(text) > 64 or not CODE_RE.match(text):
        raise BadCode("This is not a Lockstep tag code.")
    return text


def parse_short_code(raw: str) -> str:
    """A typed short code, normalized and check-verified; BadCode with a reason if it is wrong."""
    text = (raw or "").strip().upper()
    if len(text) > 40:
        raise BadCode("That is too long for a tag code: it has 9 characters, like ABCD-EFGH-K.")
    text = re.sub(r"[\s\-]", "", text)
    text = text.translate(_CONFUSABLE)
    body, check = text[:-1], text[-1:]
    if len(text) != SHORT_LENGTH or any(ch not in ALPHABET for ch in text):
        raise BadCode("A tag code has 9 characters, like ABCD-EFGH-K. Check the label and type it again.")
    if check_symbol(body) != check:
        raise BadCode(
            "That code does not check out: a character is mistyped. Check the label and type it again."
        )
    return body + check


def parse_any(raw: str) -> tuple[str, str]:
    """What a tech entered or a camera read: a tag URL, a long code or a short code.

    Returns ("code", value) or ("short", value); BadCode if it is none of them."""
    text = (raw or "").strip()
    if len(text) > 300:
        raise BadCode("This is not a Lockstep tag: the text is far too long.")
    match = re.search(r"/t/([^/?#\s]+)/?(?:[?#].*)?$", text)
    if match:
        return "code", parse_code(match.group(1))
    compact = re.sub(r"[\s\-]", "", text)
    if len(compact) == CODE_LENGTH:
        return "code", parse_code(compact)
    return "short", parse_short_code(text)
