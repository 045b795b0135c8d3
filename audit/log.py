"""Appending to the audit log and checking it.

Every state change in Lockstep calls `record()` inside the same transaction as the change itself, so an
action and its audit event commit together or not at all.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models, transaction
from django.utils import timezone

from audit.context import current_request_meta
from audit.models import GENESIS_HASH, AuditEvent, AuditHead, normalize_payload


def session_hash(session_key: str | None) -> str:
    """A live session key is a credential; the log keeps only its SHA-256."""
    if not session_key:
        return ""
    return hashlib.sha256(session_key.encode()).hexdigest()


def clean_ip(value: str | None) -> str:
    if not value:
        return ""
    try:
        return ipaddress.ip_address(value.strip()).compressed
    except ValueError:
        return ""


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
    )
    # No savepoint of its own: if the append fails, the action it records must not commit either.
    with transaction.atomic(savepoint=False):
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        # Stamped under the lock, so the log's times never run backwards along its sequence.
        event.seq, event.prev_hash, event.created_at = head.seq + 1, head.hash, timezone.now()
        event.hash = event.compute_hash()
        event.save()
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    head_seq: int
    message: str
    bad_seq: int | None = None
    bad_id: int | None = None


def verify_chain(chunk_size: int = 2000) -> ChainReport:
    """Walk the chain from its start. The first event that does not follow from the one before is named."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    count = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk_size):
        where = f"event #{event.seq} (id {event.pk}, {event.action})"
        if event.seq != expected_seq:
            return ChainReport(
                False,
                count,
                expected_seq - 1,
                f"{where}: expected #{expected_seq} here; events between were removed or renumbered",
                event.seq,
                event.pk,
            )
        if event.prev_hash != prev_hash:
            return ChainReport(
                False,
                count,
                event.seq,
                f"{where}: does not follow the event before it (removed, reordered or altered)",
                event.seq,
                event.pk,
            )
        if event.compute_hash() != event.hash:
            return ChainReport(
                False,
                count,
                event.seq,
                f"{where}: its contents no longer match its hash (altered)",
                event.seq,
                event.pk,
            )
        prev_hash = event.hash
        expected_seq += 1
        count += 1
    head = AuditHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if (head_seq, head_hash) != (count, prev_hash):
        return ChainReport(
            False,
            count,
            count,
            f"the log ends at #{count} but its head records #{head_seq}: events were removed from the end",
            head_seq,
            None,
        )
    return ChainReport(True, count, count, f"audit chain verified: {count} events, unbroken")
