"""SLA credits from the downtime Lockstep recorded: proposed with the arithmetic shown, reviewed, adjusted with a
reason, approved, issued, exported; the seed's story replayed; windows measured from their cuts, with
announced maintenance excluded only when it was announced in time."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from checklists.models import Step, StepKind
from comms.models import Delivery, DeliveryState, NoticeKind
from comms.notices import notices_about
from credits import downtime
from credits.models import Credit, CreditRefused, CreditRule, CreditState, SlaPlan
from incidents.models import Impact, Incident
from inventory.models import Customer, Service
from maintenance.models import Window
from tests.checklists.conftest import build_scene, finish_steps_before, users
from tests.comms.conftest import contacts, run_worker, unplug_web02
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

# The seed: at 02:10 the wrong switch was unplugged; sites came back between 4 and 11.5 hours later.
CUT = datetime(2026, 11, 14, 2, 10, tzinfo=UTC)
PLAN = {"monthly_fee": Decimal("300.00"), "currency": "USD", "rule": CreditRule.BLOCKS}


@pytest.fixture
def cora(db):
    return make_user("cora", Role.COORDINATOR, email="cora@provider.example")


def hosting(n: int, plan: str = "Managed hosting") -> list[Service]:
    """n customers with one site each on the plan."""
    customers = Customer.objects.bulk_create(Customer(name=f"Customer {i:02}") for i in range(n))
    return Service.objects.bulk_create(
        Service(customer=c, name=f"site-{i:02}", sla_plan=plan) for i, c in enumerate(customers)
    )


def test_the_seeds_seventy_five_sites_get_the_plans_credit_each_with_its_arithmetic(cora):
    SlaPlan.objects.create(name="Managed hosting", block_minutes=30, block_percent=5, **PLAN)
    site = build_scene(start=False).site.site
    services = hosting(75)
    incident = Incident.declare(
        by=cora,
        site=site,
        title="Websites unreachable",
        impact=Impact.MAJOR,
        message="We are investigating.",
        services=[s.pk for s in services],
        started_at=CUT,
    )
    # A third back after 4 h, a third after 8 h, the last after 11.5 h.
    for third, hours in enumerate((4, 8, 11.5)):
        chunk = services[third * 25 : (third + 1) * 25]
        incident.restore(by=cora, services=[s.pk for s in chunk], at=CUT + timedelta(hours=hours))

    proposal = downtime.propose(incident, by=cora)

    assert len(proposal.credits) == 75 and not proposal.no_plan and not proposal.no_downtime
    amounts = {c.service.name: (c.percent, c.amount) for c in proposal.credits}
    # 4 h = 8 blocks of 5% = 40%; 8 h = 80%; 11.5 h = 23 blocks = 115%, capped at 100%.
    assert amounts["site-00"] == (Decimal(40), Decimal("120.00"))
    assert amounts["site-30"] == (Decimal(80), Decimal("240.00"))
    assert amounts["site-74"] == (Decimal(100), Decimal("300.00"))
    last = next(c for c in proposal.credits if c.service.name == "site-74")
    assert last.working == (
        f"November 2026: down 11 h 30 min ({incident.reference}). 23 blocks of 5.00% "
        "(each started 30 min) = 115.00%, capped at 100.00%; 100.00% of 300.00 USD = 300.00 USD"
    )
    assert sum(c.amount for c in proposal.credits) == Decimal("16500.00")
    assert AuditEvent.objects.filter(action="credit.proposed").count() == 75

    # Proposing again with nothing new proposes nothing new.
    again = downtime.propose(incident, by=cora)
    assert again.credits == [] and len(again.unchanged) == 75
    assert Credit.objects.count() == 75


def test_overlapping_incidents_on_one_service_are_credited_once_and_a_credited_month_only_for_the_rest(cora):
    SlaPlan.objects.create(name="Managed hosting", block_minutes=30, block_percent=5, **PLAN)
    site = build_scene(start=False).site.site
    [service] = hosting(1)

    def incident(start_hours: float, end_hours: float) -> Incident:
        found = Incident.declare(
            by=cora,
            site=site,
            title="Slow",
            impact=Impact.MAJOR,
            message="Investigating.",
            services=[service.pk],
            started_at=CUT + timedelta(hours=start_hours),
        )
        found.restore(by=cora, services=[service.pk], at=CUT + timedelta(hours=end_hours))
        return found

    first = incident(0, 2)  # 2 h: 20%
    [credit] = downtime.propose(first, by=cora).credits
    assert credit.amount == Decimal("60.00")
    credit.approve(by=cora)
    second = incident(1, 3)  # overlaps the first: the month now has 3 h down, not 4
    [more] = downtime.propose(second, by=cora).credits
    assert more.computed == Decimal("90.00") and more.already == Decimal("60.00")
    assert more.amount == Decimal("30.00")
    assert (
        f"down 3 h ({first.reference}, {second.reference})" in more.working
        and "less 60.00 USD credited already = 30.00 USD" in more.working
    )


def test_an_outage_across_a_month_boundary_gives_a_credit_in_each_month(cora):
    SlaPlan.objects.create(name="Managed hosting", block_minutes=30, block_percent=5, **PLAN)
    site = build_scene(start=False).site.site
    [service] = hosting(1)
    start = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    incident = Incident.declare(
        by=cora,
        site=site,
        title="Down",
        impact=Impact.PARTIAL,
        message="Investigating.",
        services=[service.pk],
        started_at=start,
    )
    incident.restore(by=cora, services=[service.pk], at=start + timedelta(hours=3))
    credits = sorted(downtime.propose(incident, by=cora).credits, key=lambda c: c.month)
    assert [(f"{c.month:%Y-%m}", c.down_seconds // 60, c.amount) for c in credits] == [
        ("2026-10", 60, Decimal("30.00")),
        ("2026-11", 120, Decimal("60.00")),
    ]


def test_degraded_performance_is_not_downtime_and_a_service_without_a_plan_is_named(cora):
    SlaPlan.objects.create(name="Managed hosting", **PLAN)
    site = build_scene(start=False).site.site
    [slow] = hosting(1)
    bare = Service.objects.create(customer=Customer.objects.create(name="Bare"), name="no-plan")
    incident = Incident.declare(
        by=cora,
        site=site,
        title="Slow",
        impact=Impact.DEGRADED,
        message="Investigating.",
        services=[slow.pk, bare.pk],
        started_at=CUT,
    )
    proposal = downtime.propose(incident, by=cora)
    assert proposal.credits == [] and [s.pk for s in proposal.no_downtime] == [slow.pk]
    assert [s.name for s in proposal.no_plan] == ["no-plan"]


def window_on_record(scene, *, announced_hours_before: float | None, overrun_minutes: int) -> Window:
    """The scene's window, worked through its cut and completed, moved to fixed times in November: the cut
    30 minutes after the planned start, the end `overrun_minutes` after the planned end."""
    destructive = scene.run.steps.get(kind=StepKind.DESTRUCTIVE)
    finish_steps_before(scene, 1000)  # every step of the work
    window = Window.objects.get(pk=scene.window.pk)
    window.complete(by=users()["tess"])
    start, end = CUT, CUT + timedelta(hours=2)
    Window.objects.filter(pk=window.pk).update(
        planned_start=start,
        planned_end=end,
        started_at=start,
        ended_at=end + timedelta(minutes=overrun_minutes),
    )
    Step.objects.filter(pk=destructive.pk).update(performed_at=start + timedelta(minutes=30))
    run_worker()  # the announcement and the rest go out
    scheduled = notices_about(window).get(kind=NoticeKind.SCHEDULED)
    sent = Delivery.objects.filter(notice=scheduled, state=DeliveryState.SENT)
    assert sent.exists()
    if announced_hours_before is None:
        sent.update(state=DeliveryState.FAILED, sent_at=None)
    else:
        sent.update(sent_at=start - timedelta(hours=announced_hours_before))
    return Window.objects.select_related("run", "site").get(pk=window.pk)


@pytest.mark.parametrize(
    "announced, notice_hours, excludes, minutes",
    [
        (96, 72, True, 40),  # announced in time: only the 40 min overrun counts
        (24, 72, True, 130),  # announced too late to count: all of it, 30 min in to 40 min past the end
        (None, 72, True, 130),  # never reached the customer: all of it
        (96, 72, False, 130),  # a plan that excludes nothing
    ],
)
def test_a_window_is_measured_from_its_cut_and_announced_maintenance_is_excluded_only_in_time(
    cora, announced, notice_hours, excludes, minutes
):
    contacts()
    SlaPlan.objects.create(
        name="Managed hosting",
        block_minutes=30,
        block_percent=5,
        excludes_announced=excludes,
        notice_hours=notice_hours,
        **PLAN,
    )
    scene = build_scene(targets=unplug_web02)
    Service.objects.filter(customer__name="Beta").update(sla_plan="Managed hosting")
    window = window_on_record(scene, announced_hours_before=announced, overrun_minutes=40)

    [credit] = downtime.propose(window, by=cora).credits

    assert credit.service.customer.name == "Beta"
    assert credit.down_seconds == minutes * 60
    assert credit.excluded_seconds == (130 - minutes) * 60
    if minutes == 40:
        assert "less 1 h 30 min of maintenance announced in time: 40 min counted" in credit.working
        assert credit.amount == Decimal("30.00")  # 2 started blocks: 10%


def test_only_a_coordinator_proposes_and_a_window_that_never_ran_has_nothing_to_credit(cora):
    scene = build_scene(start=False)
    with pytest.raises(CreditRefused):
        downtime.propose(scene.window, by=cora)
    with pytest.raises(CreditRefused):
        downtime.propose(scene.window, by=users()["ada"])


@pytest.fixture
def proposed(cora):
    SlaPlan.objects.create(name="Managed hosting", block_minutes=30, block_percent=5, **PLAN)
    site = build_scene(start=False).site.site
    services = hosting(2)
    Service.objects.filter(pk=services[1].pk).update(name='=HYPERLINK("http://evil.example","x")')
    incident = Incident.declare(
        by=cora,
        site=site,
        title="Down",
        impact=Impact.MAJOR,
        message="Investigating.",
        services=[s.pk for s in services],
        started_at=CUT,
    )
    incident.restore(by=cora, services=[s.pk for s in services], at=CUT + timedelta(hours=1))
    client = Client()
    client.force_login(cora)
    response = client.post(reverse("credits:credit_propose"), {"idem": "k" * 20, "incident": incident.pk})
    assert response.status_code == 302
    return incident, client


def test_the_coordinator_reviews_adjusts_with_a_reason_approves_and_marks_issued(proposed, cora):
    incident, client = proposed
    page = client.get(reverse("credits:credits") + f"?for={incident.reference}").content.decode()
    assert "2 credit(s) proposed for INC-" in page
    assert "site-00: 30.00 USD" in page and "2 blocks of 5.00%" in page
    credit = Credit.objects.get(service__name="site-00")
    url = reverse("credits:credit_action", args=[credit.pk, "adjust"])

    # No reason, a negative amount, a word, more than the fee: refused in words, nothing changes.
    for n, data in enumerate(
        (
            {"amount": "50", "reason": ""},
            {"amount": "-5", "reason": "goodwill"},
            {"amount": "lots", "reason": "goodwill"},
            {"amount": "1e9", "reason": "goodwill"},
            {"amount": "301.00", "reason": "goodwill"},
        )
    ):
        response = client.post(url, {"idem": f"adjust-refused-{n:04}", **data})
        assert response.status_code == 302
        credit.refresh_from_db()
        assert credit.amount == Decimal("30.00"), data
    assert AuditEvent.objects.filter(action="credit.adjusted").count() == 0

    response = client.post(
        url, {"idem": "adjust-goodwill-1", "amount": "45.50", "reason": "Goodwill: key account"}
    )
    assert response.status_code == 302
    # The same tap again (a retry) does not adjust twice.
    client.post(url, {"idem": "adjust-goodwill-1", "amount": "45.50", "reason": "Goodwill: key account"})
    credit.refresh_from_db()
    assert credit.amount == Decimal("45.50") and credit.adjusted
    assert AuditEvent.objects.filter(action="credit.adjusted").count() == 1
    page = client.get(reverse("credits:credits")).content.decode()
    assert "Goodwill: key account" in page and "Adjusted" in page

    approve = reverse("credits:credit_action", args=[credit.pk, "approve"])
    client.post(approve, {"idem": "approve-credit-01"})
    credit.refresh_from_db()
    assert credit.state == CreditState.APPROVED and credit.decided_by == cora
    with pytest.raises(CreditRefused):
        credit.adjust(by=cora, amount=Decimal(1), reason="too late")
    client.post(
        reverse("credits:credit_action", args=[credit.pk, "issue"]),
        {"idem": "issue-credit-0001", "reference": "CN-2026-0142"},
    )
    credit.refresh_from_db()
    assert credit.state == CreditState.ISSUED and credit.issued_reference == "CN-2026-0142"
    assert [e.action for e in AuditEvent.objects.filter(object_id=str(credit.pk)).order_by("seq")][-3:] == [
        "credit.adjusted",
        "credit.approved",
        "credit.issued",
    ]


def test_the_billing_export_is_safe_to_open_in_a_spreadsheet(proposed):
    incident, client = proposed
    response = client.get(reverse("credits:credit_export") + "?state=all")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 2
    evil = next(r for r in rows if "HYPERLINK" in r["service"])
    assert evil["service"].startswith("'=HYPERLINK")
    assert {r["amount"] for r in rows} == {"30.00"} and {r["for"] for r in rows} == {incident.reference}


def test_a_tech_has_no_credits_and_bad_input_is_a_clear_error(proposed):
    _, client = proposed
    tess = Client()
    tess.force_login(users()["tess"])
    assert tess.get(reverse("credits:credits")).status_code == 403
    assert tess.get(reverse("credits:credit_export")).status_code == 403
    for n, data in enumerate(({"incident": "abc"}, {"incident": "99999999999999999999999"}, {})):
        response = client.post(reverse("credits:credit_propose"), {"idem": f"propose-bad-{n:04}", **data})
        assert response.status_code == 400
    assert client.get(reverse("credits:credits") + "?state=<script>&for=INC-x").status_code == 200
    assert client.get(reverse("credits:credits") + "?for=INC-²").status_code == 200  # a digit, not an id


def test_downtime_follows_the_impacts_history_not_only_the_impact_now(cora):
    from incidents.models import IncidentImpact

    SlaPlan.objects.create(name="Managed hosting", block_minutes=30, block_percent=5, **PLAN)
    site = build_scene(start=False).site.site
    down_then_slow, slow_then_down = hosting(2)

    def declare(service, impact, changed_to, changed_after) -> Incident:
        incident = Incident.declare(
            by=cora,
            site=site,
            title="Trouble",
            impact=impact,
            message="Investigating.",
            services=[service.pk],
            started_at=CUT,
        )
        incident.set_impact(by=cora, services=[service.pk], impact=changed_to)
        IncidentImpact.objects.filter(row__incident=incident, impact=changed_to).update(
            at=CUT + changed_after
        )
        incident.restore(by=cora, services=[service.pk], at=CUT + timedelta(hours=4))
        return incident

    # Down for an hour, then only slow until restored: one hour counts.
    first = declare(down_then_slow, Impact.MAJOR, Impact.DEGRADED, timedelta(hours=1))
    [credit] = downtime.propose(first, by=cora).credits
    assert credit.down_seconds == 3600 and credit.amount == Decimal("30.00")
    # Slow for three hours, then down for the last hour: one hour counts, not four.
    second = declare(slow_then_down, Impact.DEGRADED, Impact.PARTIAL, timedelta(hours=3))
    [credit] = downtime.propose(second, by=cora).credits
    assert credit.down_seconds == 3600


def test_an_aborted_windows_cut_lasts_until_its_rollback_is_signed_off(cora):
    from django.utils import timezone

    from checklists.execution import sign
    from tests.checklists.conftest import phone

    scene = build_scene(targets=unplug_web02)
    destructive = scene.run.steps.get(kind=StepKind.DESTRUCTIVE)
    finish_steps_before(scene, destructive.position + 1)
    window = Window.objects.get(pk=scene.window.pk)
    window.abort(by=users()["tess"], reason="Wrong cable")
    cut_at = timezone.now() - timedelta(hours=2)
    Step.objects.filter(pk=destructive.pk).update(performed_at=cut_at)
    Window.objects.filter(pk=window.pk).update(ended_at=cut_at + timedelta(minutes=10))
    window.refresh_from_db()
    # While the rollback is open the service is still down, now.
    [(_, spans)] = downtime.window_spans(window, now=timezone.now()).items()
    assert spans[0].start == cut_at and spans[0].seconds > 7000
    for step in window.run.sequence():
        sign(step, who=phone(users()["tess"]))
    window.finish_rollback(by=users()["tess"])
    window.refresh_from_db()
    done = AuditEvent.objects.get(action="window.rolled_back").created_at
    [(_, spans)] = downtime.window_spans(window, now=timezone.now() + timedelta(hours=5)).items()
    # The rollback step put it back: the span ends there, or at the sign-off at the latest, never at the abort.
    assert spans[0].start == cut_at and spans[0].end <= done and spans[0].seconds > 7000


def test_a_month_is_never_credited_more_than_its_fee_and_a_bad_reference_issues_nothing(proposed, cora):
    _, client = proposed
    credit = Credit.objects.get(service__name="site-00")
    credit.adjust(by=cora, amount=Decimal("300.00"), reason="Whole month, as agreed")
    credit.approve(by=cora)
    # More downtime in the same month: the plan's answer is less than what was credited, so 0 is proposed,
    # and nothing can be added on top of the whole fee.
    incident = Incident.declare(
        by=cora,
        site=credit.incident.site,
        title="Again",
        impact=Impact.MAJOR,
        message="Investigating.",
        services=[credit.service_id],
        started_at=CUT + timedelta(days=1),
    )
    incident.restore(by=cora, services=[credit.service_id], at=CUT + timedelta(days=1, minutes=30))
    [more] = downtime.propose(incident, by=cora).credits
    assert more.amount == Decimal("0.00") and not more.adjusted
    with pytest.raises(CreditRefused, match=r"between 0 and 0\.00 USD"):
        more.adjust(by=cora, amount=Decimal("1.00"), reason="goodwill")
    response = client.post(
        reverse("credits:credit_action", args=[credit.pk, "issue"]),
        {"idem": "issue-too-long-0001", "reference": "X" * 101},
    )
    assert response.status_code == 302
    credit.refresh_from_db()
    assert credit.state == CreditState.APPROVED and credit.issued_reference == ""
    client.get(reverse("credits:credit_export") + "?state=approved")
    assert AuditEvent.objects.filter(action="credits.exported", actor=cora).count() == 1


def test_only_a_message_sent_to_the_customer_announces_the_work_to_them(cora):
    people = contacts()
    scene = build_scene(targets=unplug_web02)
    window = window_on_record(scene, announced_hours_before=None, overrun_minutes=0)  # beta's messages failed
    scheduled = notices_about(window).get(kind=NoticeKind.SCHEDULED)
    Delivery.objects.create(
        notice=scheduled,
        subscriber=people["acme-ops"],
        recipient="ops@acme.example",
        state=DeliveryState.SENT,
        sent_at=CUT - timedelta(days=10),
    )
    beta = Service.objects.get(customer__name="Beta")
    assert downtime.announced_at(window, beta) is None
    acme = Service.objects.filter(customer__name="Acme").first()
    assert downtime.announced_at(window, acme) == CUT - timedelta(days=10)
