"""Signed checkpoints of the audit chain, kept where the database cannot rewrite them.

`manage.py audit_checkpoint` verifies the chain and appends one line to `LOCKSTEP_AUDIT_CHECKPOINT_FILE`: the
count, the head hash, the time and who held which rights then (audit/rights.py), signed with the current audit
key. `verify_audit` then checks the database against every checkpoint, so a chain rewritten (even re-signed with
the key), wiped, or cut back to an earlier event no longer verifies, and a right given or taken away behind the
application's back shows. A log with events and no checkpoint verifies nothing: the first checkpoint is written
for the empty log, or by `audit_trust`, on the record. Make the file append-only for the app's user (`chattr +a`) and copy it off the machine
(`LOCKSTEP_AUDIT_CHECKPOINT_EMAIL` mails each line to an auditor).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from audit import keys


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str
    key_id: str
    sig: str = ""
    line: int = 0
    # Who held which rights at `seq` (audit/rights.py); None in lines written before checkpoints carried it.
    people: dict | None = None

    def _fields(self) -> dict:
        fields = {"seq": self.seq, "hash": self.hash, "at": self.at, "key_id": self.key_id}
        # Only once there is one: older lines keep the bytes they were signed as.
        return fields if self.people is None else {**fields, "people": self.people}

    def body(self) -> bytes:
        # Prefixed: a checkpoint's signature can never stand for an event's, nor the other way round.
        return (
            b"lockstep-checkpoint\0"
            + json.dumps(self._fields(), sort_keys=True, separators=(",", ":")).encode()
        )

    def text(self) -> str:
        return json.dumps({**self._fields(), "sig": self.sig}, sort_keys=True, separators=(",", ":"))

    def describe(self) -> str:
        if self.seq == 0:
            return f"the first checkpoint, of the empty log ({self.at})"
        return f"the checkpoint of {self.at} (event #{self.seq})"


def path() -> Path:
    return Path(settings.LOCKSTEP_AUDIT_CHECKPOINT_FILE)


def read() -> tuple[list[Checkpoint], list[str]]:
    """Every checkpoint in the file, oldest first, and what is wrong with the file, if anything."""
    where = path()
    if not where.exists():
        return [], []
    marks: list[Checkpoint] = []
    problems: list[str] = []
    for number, raw in enumerate(where.read_text(errors="replace").splitlines(), start=1):
        if not raw.strip():
            continue
        problem = f"{where}, line {number}"
        try:
            fields = json.loads(raw)
            mark = Checkpoint(
                seq=int(fields["seq"]),
                hash=str(fields["hash"]),
                at=str(fields["at"]),
                key_id=str(fields["key_id"]),
                sig=str(fields["sig"]),
                line=number,
                people=fields.get("people"),
            )
            if mark.people is not None and not isinstance(mark.people, dict):
                raise TypeError("people")
        except (ValueError, TypeError, KeyError):
            problems.append(f"{problem}: not a checkpoint (the file was edited)")
            continue
        try:
            signed = keys.sign(mark.key_id, mark.body()) if mark.key_id else ""
        except keys.UnknownKey:
            problems.append(
                f"{problem}: signed with key '{mark.key_id}', which this installation does not hold"
            )
            continue
        if not mark.key_id or signed != mark.sig:
            problems.append(f"{problem}: its signature does not match (the checkpoint was edited or forged)")
            continue
        if marks and mark.seq < marks[-1].seq:
            problems.append(f"{problem}: goes back from #{marks[-1].seq} to #{mark.seq} (the log was cut)")
            continue
        if any(earlier.seq == mark.seq and earlier.hash != mark.hash for earlier in marks):
            # Two signed words on one event: someone with the key vouched for a rewritten chain.
            problems.append(
                f"{problem}: vouches for a different event #{mark.seq} than an earlier checkpoint"
            )
            continue
        marks.append(mark)
    return marks, problems


def latest() -> Checkpoint | None:
    marks, _ = read()
    return marks[-1] if marks else None


def append(seq: int, head_hash: str, people: dict, *, key_id: str) -> Checkpoint:
    """Vouch for the chain up to `seq`, and for who held which rights there, digested under the key `key_id`,
    which signs the line. The caller has verified both (`audit.log.verify_chain`)."""
    key = keys.keyring().get(key_id)
    if key is None:
        raise keys.UnknownKey(key_id)
    unsigned = Checkpoint(
        seq=seq, hash=head_hash, at=timezone.now().isoformat(timespec="seconds"), key_id=key.id, people=people
    )
    mark = Checkpoint(**{**unsigned.__dict__, "sig": key.sign(unsigned.body())})
    where = path()
    where.parent.mkdir(parents=True, exist_ok=True)
    # One write of one short line to a file opened for appending: concurrent writers never interleave.
    fd = os.open(where, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    try:
        os.write(fd, (mark.text() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return mark
