from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.roles import OUTBOX_READERS, role_required
from comms import subscriptions, tasks
from comms.models import TOKEN_SHAPE, Delivery, DeliveryState, Notice, StatusLink, Subscriber
from inventory.models import Site
from lockstep.http import HtmxHttpRequest

OUTBOX_SIZE = 50


@csrf_exempt  # a mail program's one-click unsubscribe (RFC 8058) posts without a token; the link's secret is the proof
def unsubscribe(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """GET asks (a link scanner following the URL must not unsubscribe anyone); POST does it."""
    subscriber = (
        Subscriber.objects.select_related("customer").filter(token=token).first()
        if TOKEN_SHAPE.match(token)
        else None
    )
    if subscriber is None:
        return render(request, "comms/unsubscribe.html", {"unknown": True}, status=404)
    if request.method == "POST":
        subscriber.unsubscribe()
        return render(request, "comms/unsubscribe.html", {"subscriber": subscriber, "done": True})
    return render(request, "comms/unsubscribe.html", {"subscriber": subscriber})


@role_required(*OUTBOX_READERS)
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
@role_required(*OUTBOX_READERS)
def resend(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery, pk=pk)
    try:
        tasks.resend(delivery, by=request.user)
    except PermissionError as refused:
        raise PermissionDenied(str(refused)) from None
    messages.success(request, f"Queued again for {delivery.recipient}.")
    return redirect("comms:outbox")


class SubscribeForm(forms.Form):
    email = forms.EmailField(max_length=254, label="Your e-mail address")


def _subscribe(request: HtmxHttpRequest, *, customer=None, site=None, back: str) -> HttpResponse:
    follows = str(customer) if customer else f"maintenance at {site.name}"
    form = SubscribeForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            context = {"form": form, "follows": follows, "back": back}
            return render(request, "comms/subscribe.html", context, status=400)
        # Over the limit, nothing is sent; the answer is the same words, like every other answer here.
        if not subscriptions.over_limit():
            subscriptions.request(form.cleaned_data["email"], customer=customer, site=site)
        return render(request, "comms/subscribe.html", {"asked": True, "follows": follows, "back": back})
    return render(request, "comms/subscribe.html", {"form": form, "follows": follows, "back": back})


def subscribe_site(request: HtmxHttpRequest, code: str) -> HttpResponse:
    site = get_object_or_404(Site, code=code)
    return _subscribe(request, site=site, back=reverse("incidents:status_site", args=[site.code]))


def subscribe_customer(request: HtmxHttpRequest, token: str) -> HttpResponse:
    link = (
        StatusLink.objects.select_related("customer").filter(token=token, retired_at__isnull=True).first()
        if TOKEN_SHAPE.match(token)
        else None
    )
    if link is None:
        return render(request, "comms/unsubscribe.html", {"unknown": True}, status=404)
    return _subscribe(request, customer=link.customer, back=reverse("incidents:status_private", args=[token]))


def confirm(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """GET asks (a mail scanner opening the link confirms nothing); POST confirms."""
    subscriber = (
        Subscriber.objects.select_related("customer", "site").filter(confirm_token=token).first()
        if TOKEN_SHAPE.match(token)
        else None
    )
    if subscriber is None:
        return render(request, "comms/confirm.html", {"unknown": True}, status=404)
    if request.method == "POST":
        subscriber.confirm()
        return render(request, "comms/confirm.html", {"subscriber": subscriber, "done": True})
    return render(request, "comms/confirm.html", {"subscriber": subscriber})
