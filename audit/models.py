"""The append-only, hash-chained audit log.

Each event carries the hash of the event before it and its own HMAC-SHA256, under a key kept outside the
database (audit/keys.py), over a canonical form of every field, so a row altered, removed or reordered after the
fact breaks the chain where it happened (`verify_audit`), and nobody without the key can recompute the chain.
Signed checkpoints written outside the database (audit/checkpoints.py) catch a chain wiped or cut short.
Appends serialize on one head row, and `prev_hash` is unique, so concurrent requests can never fork the chain.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from audit import keys

GENESIS_HASH = "0" * 64


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove an audit event: a correction is a new event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit events are append-only; record a new event instead of updating.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events are append-only; they are never deleted.")

    def for_object(self, obj: models.Model) -> AuditEventQuerySet:
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    created_at = models.DateTimeField(editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The username at the time, so the record reads the same even if the account is renamed later.
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    session_hash = models.CharField(max_length=64, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    prev_hash = models.CharField(max_length=64, unique=True, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)
    # Which audit key signed this event (audit/keys.py); empty for events from before the chain was keyed.
    key_id = models.CharField(max_length=32, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        db_table = "audit_event"
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_event_object_idx"),
            models.Index(fields=["action", "created_at"], name="audit_event_action_idx"),
            # Failed logins by address in a window (accounts/forms.py), read on every login.
            models.Index(fields=["action", "ip", "created_at"], name="audit_event_action_ip_idx"),
        ]

    def __str__(self) -> str:
        who = self.actor_label or "system"
        return f"#{self.seq} {self.action} by {who}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit events are append-only; record a new event instead of editing.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events are append-only; they are never deleted.")

    def canonical(self) -> bytes:
        # The key id is part of what is signed, but only once there is one: older events keep their bytes.
        keyed = {"key_id": self.key_id} if self.key_id else {}
        return canonical_bytes(
            **keyed,
            seq=self.seq,
            created_at=self.created_at,
            actor_id=self.actor_id,
            actor_label=self.actor_label,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            object_repr=self.object_repr,
            payload=self.payload,
            session_hash=self.session_hash,
            ip=self.ip,
            user_agent=self.user_agent,
            prev_hash=self.prev_hash,
        )

    def compute_hash(self) -> str:
        return keys.sign(self.key_id, self.canonical())


class AuditHead(models.Model):
    """The chain's tip: the row every append locks, and the witness that catches events cut off the end."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        db_table = "audit_head"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single_row")]

    def __str__(self) -> str:
        return f"audit head at #{self.seq}"


def canonical_bytes(*, created_at: datetime, payload: Any, **fields: Any) -> bytes:
    document = dict(fields, created_at=created_at.isoformat(timespec="microseconds"), payload=payload)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def normalize_payload(payload: Any) -> Any:
    """The payload exactly as the database will give it back: JSON types only, no NUL characters
    (PostgreSQL's jsonb refuses them), so the hash computed now is the hash verified later."""

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("\x00", "\ufffd")
        if isinstance(value, dict):
            return {scrub(str(k)): scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    return scrub(json.loads(json.dumps(payload, cls=DjangoJSONEncoder)))
