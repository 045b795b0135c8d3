from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.roles import Role, role_required
from comms.models import Delivery, DeliveryState, Notice, Subscriber
from lockstep.http import HtmxHttpRequest

TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
OUTBOX_SIZE = 50


@csrf_exempt  # a mail program's one-click unsubscribe (RFC 8058) posts without a token; the link's secret is the proof
def unsubscribe(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """GET asks (a link scanner following the URL must not unsubscribe anyone); POST does it."""
    subscriber = (
        Subscriber.objects.select_related("customer").filter(token=token).first()
        if TOKEN.match(token)
        else None
    )
    if subscriber is None:
        return render(request, "comms/unsubscribe.html", {"unknown": True}, status=404)
    if request.method == "POST":
        subscriber.unsubscribe()
        return render(request, "comms/unsubscribe.html", {"subscriber": subscriber, "done": True})
    return render(request, "comms/unsubscribe.html", {"subscriber": subscriber})


@role_required(Role.COORDINATOR, Role.ADMIN)
def outbox(request: HtmxHttpRequest) -> HttpResponse:
    """Every notice, newest first, with what became of each of its messages."""
    notices = (
        Notice.objects.select_related("site", "created_by")
        .annotate(
            total=Count("deliveries"),
            sent=Count("deliveries", filter=Q(deliveries__state=DeliveryState.SENT)),
            failed=Count("deliveries", filter=Q(deliveries__state=DeliveryState.FAILED)),
        )
        .prefetch_related(
            Prefetch("deliveries", queryset=Delivery.objects.order_by("recipient")),
            "services",
        )
        # Named here: a query that counts (GROUP BY) does not take the model's default order.
        .order_by("-created_at", "-pk")[:OUTBOX_SIZE]
    )
    return render(request, "comms/outbox.html", {"notices": notices, "size": OUTBOX_SIZE})


@require_POST
@role_required(Role.COORDINATOR, Role.ADMIN)
def resend(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery, pk=pk)
    try:
        delivery.resend(by=request.user)
    except PermissionError as refused:
        raise PermissionDenied(str(refused)) from None
    messages.success(request, f"Queued again for {delivery.recipient}.")
    return redirect("comms:outbox")
