"""Idempotent taps: a retried state-changing tap is answered as the first was."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class TapRecord(models.Model):
    """A state-changing tap, by its client-made idempotency key: a retry is answered as the first was."""

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField(default=0)
    headers = models.JSONField(default=dict)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"tap {self.key}"
