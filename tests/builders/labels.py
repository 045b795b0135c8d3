"""Asking for labels as the print form does."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from inventory.labels import LabelFormat
from inventory.models import LabelJob, LabelJobStatus


def ask_for_labels(client, url: str, data: dict | None = None, *, key: str = "", follow: bool = True):
    """The print form sent as the page sends it: a POST with the page's form key (a fresh one unless given)."""
    return client.post(url, {"idem": key or uuid.uuid4().hex, **(data or {})}, follow=follow)


def labels_made(tess, *, days_ago: float, title: str = "rack A01 (LAX1)") -> LabelJob:
    """A finished print of tess's, made `days_ago` days ago."""
    made = timezone.now() - timedelta(days=days_ago)
    return LabelJob.objects.create(
        request_key=f"{title}-{days_ago}",
        requested_by=tess,
        requested_at=made,
        title=title,
        filename="labels-a01",
        label_format=LabelFormat.A4_3X8,
        total=24,
        done=24,
        in_worker=True,
        status=LabelJobStatus.READY,
        pdf=b"%PDF-1.7 tess's labels",
        moved_at=made,
        finished_at=made,
    )
