"""Appending to the audit log and checking it.

Every state change in Lockstep calls `record()` inside the same transaction as the change itself, so an
action and its audit event commit together or not at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, models, transaction
from django.db.models import Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit import checkpoints, keys, rights
from audit.checkpoints import Checkpoint
from audit.context import current_request_meta
from audit.models import GENESIS_HASH, AuditEvent, AuditHead, normalize_payload
from audit.origin import parse_address


def session_hash(session_key: str | None) -> str:
    """A live session key is a credential; the log keeps only its SHA-256."""
    if not session_key:
        return ""
    return hashlib.sha256(session_key.encode()).hexdigest()


def clean_ip(value: str | None) -> str:
    """The address as the log keeps it: the one parser requests are read with (audit/origin.py)."""
    return parse_address(value)


def keyring() -> keys.Keyring:
    """The installation's keys. The key file is made here the first time it is asked for, and only for a log
    that has no events yet (audit/keys.py says why)."""
    if keys.missing():
        head = AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
        # A wiped head is not an empty log: its last event says how far it went.
        last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        keys.make_first(events=max(head, last))
    return keys.keyring()


def _clip(value: Any, limit: int) -> str:
    text = "" if value is None else str(value)
    return text.replace("\x00", "\ufffd")[:limit]


def record(
    action: str,
    *,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    obj: models.Model | None = None,
    payload: dict[str, Any] | None = None,
    session_key: str | None = None,
) -> AuditEvent:
    """Append one event. Session, address and user agent come from the current request unless given."""
    meta = current_request_meta()
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    # Everything but the chain's position is worked out before the head is locked: appends queue on that
    # lock, so it is held only for the read of the head, the timestamp, the hash and two writes.
    event = AuditEvent(
        actor=actor,
        actor_label=_clip(actor.get_username(), 150) if actor is not None else "",
        action=_clip(action, 100),
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=_clip(obj.pk, 64) if obj is not None else "",
        object_repr=_clip(obj, 200) if obj is not None else "",
        payload=normalize_payload(payload or {}),
        session_hash=session_hash(session_key if session_key is not None else meta.session_key),
        ip=clean_ip(meta.ip),
        user_agent=_clip(meta.user_agent, 512),
        key_id=keyring().current.id,
    )
    batch = _pending.get()
    if batch is not None and connection.in_atomic_block:
        # Inside `appended_last()`: chained when the block ends. The marker is an on-commit callback, which
        # Django drops if the savepoint it was made in rolls back: then so is the event.
        marker = _Marker()
        transaction.on_commit(marker)
        batch.append((event, marker))
        return event
    _append([event])
    return event


class _Marker:
    def __call__(self) -> None:
        pass


# Events recorded inside `appended_last()`, waiting to be chained, with their markers.
_pending: ContextVar[list[tuple[AuditEvent, _Marker]] | None] = ContextVar("audit_pending", default=None)


def _append(events: list[AuditEvent]) -> None:
    # No savepoint of its own: if the append fails, the action it records must not commit either.
    with transaction.atomic(savepoint=False):
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        # Stamped under the lock, so the log's times never run backwards along its sequence.
        now = timezone.now()
        for event in events:
            event.seq, event.prev_hash, event.created_at = head.seq + 1, head.hash, now
            event.hash = event.compute_hash()
            head.seq, head.hash = event.seq, event.hash
        AuditEvent.objects.bulk_create(events)
        head.save(update_fields=["seq", "hash"])


def pending(*, action: str, obj: models.Model) -> list[AuditEvent]:
    """Events recorded about `obj` inside the current `appended_last()` block and not chained yet (nor undone
    with their savepoint). Reads of the log inside the block see only what was chained before it; the few
    that must see their own request's events too ask this as well (checklists: a STOP just acknowledged)."""
    batch = _pending.get()
    if not batch:
        return []
    alive = {id(func) for _, func, _ in connection.run_on_commit}
    kind, key = obj._meta.label_lower, str(obj.pk)
    return [
        event
        for event, marker in batch
        if id(marker) in alive
        and event.action == action
        and (event.object_type, event.object_id) == (kind, key)
    ]


@contextmanager
def appended_last() -> Iterator[None]:
    """Inside a transaction, the events recorded in this block are chained at its end, still inside the
    transaction: the head row, which every append in the app queues on, is then locked only for the appends
    and the commit, not while the rest of the work (the reply rendered, the tap's answer saved) is done, and
    it stays the last lock taken. An event recorded inside a savepoint that rolls back is dropped with it. A
    block inside another adds to the outer one's events, chained in the order they were recorded."""
    if not connection.in_atomic_block:
        raise RuntimeError("appended_last() belongs inside transaction.atomic()")
    if _pending.get() is not None:
        yield
        return
    token = _pending.set([])
    try:
        yield
        batch = _pending.get()
        alive = {id(func) for _, func, _ in connection.run_on_commit}
        ready = [event for event, marker in batch if id(marker) in alive]
        if ready and not connection.needs_rollback:
            _append(ready)
    finally:
        _pending.reset(token)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    head_seq: int
    message: str
    bad_seq: int | None = None
    bad_id: int | None = None
    head_hash: str = GENESIS_HASH
    # The latest checkpoint the log was held against (None: there is none yet), and where the walk began.
    checkpoint: Checkpoint | None = None
    from_seq: int = 1
    # What the next checkpoint vouches for: the event the people were read at (verified by the walk), who held
    # which rights there, digested under `people_key_id`.
    people_seq: int = 0
    people_hash: str = GENESIS_HASH
    people: dict | None = None
    people_key_id: str = ""
    # With `trusting`: what did not verify and would be taken on trust (else these fail the check).
    no_checkpoint: bool = False
    unexplained: tuple[str, ...] = ()


def _broken(message: str, count: int, seq: int | None = None, pk: int | None = None) -> ChainReport:
    return ChainReport(False, count, count, message, seq, pk)


def verify_chain(
    *, since_checkpoint: bool = False, chunk_size: int = 2000, trusting: bool = False
) -> ChainReport:
    """Walk the chain and hold it against the checkpoints written outside the database.

    From the first event (every event re-checked), or, with `since_checkpoint`, from the latest checkpoint on:
    the events it vouches for were verified when it was written, so the walk is as long as the log has grown
    since. The first event that does not follow from the one before, or differs from a checkpoint, is named.
    It fails closed: a log with events but no key or no checkpoint to hold it against does not verify, and
    neither does a right given or taken away that the chain does not explain (audit/rights.py). `trusting`
    (only `audit_trust`) lets those last two through, and says so in the report.
    """
    try:
        ring = keyring()
    except keys.MissingKey as missing:
        return _broken(str(missing), 0)
    marks, problems = checkpoints.read()
    if problems:
        return _broken(f"checkpoint file: {problems[0]}", 0)
    latest = marks[-1] if marks else None
    by_seq = {mark.seq: mark for mark in marks}
    # The head is read first, with the people as they stood there, and the walk stops there: events appended
    # meanwhile are not taken for forgeries, and every event that explains the people is walked.
    people = rights.read()
    head_seq, head_hash = people.seq, people.hash
    if latest is not None and latest.seq > head_seq:
        return _broken(
            f"the log ends at #{head_seq} but {latest.describe()} vouches for #{latest.seq}: "
            "events were removed from the end, or the log was wiped",
            head_seq,
            latest.seq,
        )
    no_checkpoint = latest is None and (head_seq > 0 or AuditEvent.objects.exists())
    if no_checkpoint and not trusting:
        where = checkpoints.path()
        return _broken(
            f"no checkpoint vouches for this log, which has events ({where} is "
            f"{'empty' if where.exists() else 'missing'}): it may have been cut, wiped or rewritten, and nothing "
            "outside the database can say. Restore the checkpoint file from its copy; only if you know why it is "
            "gone, take the log as it stands with manage.py audit_trust --reason '...' (README, 'The audit log')",
            head_seq,
        )
    unexplained: list[str] = []
    if latest is not None:
        key = ring.get(latest.key_id)
        if latest.people is None:
            unexplained.append(
                f"{latest.describe()} holds no record of who held which rights (written before checkpoints did)"
            )
        elif key is not None:
            carried = rights.expected(latest.people, after=latest.seq, through=people.seq)
            unexplained += rights.differences(carried, people.snapshot(key))
    unkeyed_through = ring.unkeyed_through
    expected_seq, prev_hash = 1, GENESIS_HASH
    if since_checkpoint and latest is not None and latest.seq > 0:
        # Every checkpoint is held against its event (one query): a rewrite before the latest one shows there,
        # even if whoever rewrote it also signed a new checkpoint.
        vouched = dict(AuditEvent.objects.filter(seq__in=list(by_seq)).values_list("seq", "hash"))
        for mark in marks:
            if mark.seq > 0 and vouched.get(mark.seq) != mark.hash:
                return _broken(
                    f"event #{mark.seq} is not the one {mark.describe()} vouches for: the log was rewritten",
                    mark.seq,
                    mark.seq,
                )
        expected_seq, prev_hash = latest.seq + 1, latest.hash
    from_seq = expected_seq
    events = AuditEvent.objects.filter(seq__gte=expected_seq, seq__lte=head_seq).order_by("seq")
    for event in events.iterator(chunk_size=chunk_size):
        where = f"event #{event.seq} (id {event.pk}, {event.action})"
        done = expected_seq - 1
        if event.seq != expected_seq:
            return _broken(
                f"{where}: expected #{expected_seq} here; events between were removed or renumbered",
                done,
                event.seq,
                event.pk,
            )
        if event.prev_hash != prev_hash:
            return _broken(
                f"{where}: does not follow the event before it (removed, reordered or altered)",
                done,
                event.seq,
                event.pk,
            )
        if not event.key_id and event.seq > unkeyed_through:
            return _broken(
                f"{where}: unsigned, though every event after #{unkeyed_through} is signed (rewritten by "
                "someone without the audit key)",
                done,
                event.seq,
                event.pk,
            )
        try:
            intact = event.compute_hash() == event.hash
        except keys.UnknownKey:
            return _broken(
                f"{where}: signed with key '{event.key_id}', which this installation does not hold "
                "(forged, or the key file was lost)",
                done,
                event.seq,
                event.pk,
            )
        if not intact:
            return _broken(
                f"{where}: its contents no longer match its hash (altered)", done, event.seq, event.pk
            )
        mark = by_seq.get(event.seq)
        if mark is not None and mark.hash != event.hash:
            return _broken(
                f"{where}: differs from {mark.describe()} (the log was rewritten)", done, event.seq, event.pk
            )
        prev_hash = event.hash
        expected_seq += 1
    count = expected_seq - 1
    if (count, prev_hash) != (head_seq, head_hash):
        return _broken(
            f"the log ends at #{count} but its head records #{head_seq}: events were removed from the end",
            count,
            head_seq,
        )
    head_now = Coalesce(Subquery(AuditHead.objects.filter(pk=1).values("seq")), 0)
    if AuditEvent.objects.filter(seq__gt=head_now).exists():
        return _broken("there are events beyond the head: added behind the application's back", count)
    if unexplained and not trusting:
        since = latest.describe() if latest is not None else "the first event"
        return _broken(
            f"who holds which rights changed outside the app since {since}, and the chain does not say so: "
            + "; ".join(unexplained[:10])
            + (f"; and {len(unexplained) - 10} more" if len(unexplained) > 10 else ""),
            count,
        )
    if latest is None:
        said = f"audit chain verified: {count} events; no checkpoint yet (manage.py audit_checkpoint)"
    elif from_seq > 1:
        said = f"audit chain verified: {count} events, unbroken since {latest.describe()}, which they match"
    else:
        said = f"audit chain verified: {count} events, unbroken, held against {latest.describe()}"
    return ChainReport(
        True,
        count,
        count,
        said,
        head_hash=head_hash,
        checkpoint=latest,
        from_seq=from_seq,
        people_seq=people.seq,
        people_hash=people.hash,
        people=people.snapshot(ring.current),
        people_key_id=ring.current.id,
        no_checkpoint=no_checkpoint,
        unexplained=tuple(unexplained),
    )


def verify_printed(printed: str) -> ChainReport:
    """Does the log still run, unchanged, through the head a PDF printed? (`verify_audit --at HASH`)"""
    wanted = printed.strip().lower()
    event = AuditEvent.objects.filter(hash=wanted).first() if len(wanted) == 64 else None
    if event is None:
        return _broken(
            f"no event has the hash {printed.strip()[:64]!r}: the log was rewritten after it was printed, "
            "or the hash is mistyped (give all 64 digits)",
            0,
        )
    report = verify_chain()
    if not report.ok:
        return report
    return ChainReport(
        True,
        report.events,
        report.head_seq,
        f"{wanted[:16]}… is event #{event.seq} of {event.created_at.isoformat(timespec='seconds')} "
        f"({event.action}); the chain runs through it unchanged to #{report.head_seq}. {report.message}",
        head_hash=report.head_hash,
        checkpoint=report.checkpoint,
    )
