"""Two techs sign the two halves of a redundant pair at the same instant, on two windows: the site's lock
lets exactly one cut through, and the other is refused by the interlock. Needs a real PostgreSQL."""

from __future__ import annotations

import pytest

from checklists.execution import sign
from checklists.models import CutRefusal, StepStatus
from tests.builders.databases import postgres_only
from tests.builders.pairs import clear, clear_b, running_pair
from tests.builders.people import phone
from tests.builders.races import at_once, refusals

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def test_two_cuts_of_a_pair_signed_at_the_same_instant_exactly_one_goes_through():
    from tests.builders.scenes import finish_steps_before

    pair = running_pair()
    a_step = pair.destructive(pair.a)
    finish_steps_before(pair.scene(pair.a), a_step.position)
    clear(pair, a_step, pair.people["tess"], pair.people["vic"])
    b_step = clear_b(pair)
    a_step = pair.destructive(pair.a)

    outcomes = at_once(
        lambda: sign(a_step, who=phone(pair.people["tess"])),
        lambda: sign(b_step, who=phone(pair.people["walt"])),
    )

    [refusal] = refusals(outcomes)
    assert "redundant pair" in refusal
    statuses = sorted([pair.destructive(pair.a).status, pair.destructive(pair.b).status])
    assert statuses == [StepStatus.CLEARED, StepStatus.DONE]
    assert CutRefusal.objects.count() == 1


def test_the_second_window_started_later_is_refused_until_the_first_is_restored_on_postgresql():
    from tests.builders.pairs import cut_a

    pair = running_pair()
    cut_a(pair)
    b_step = clear_b(pair)
    [refusal] = refusals(at_once(lambda: sign(b_step, who=phone(pair.people["walt"]))))
    assert f"CHG-{pair.a.pk}" in refusal
    pair.a.abort(by=pair.people["tess"], reason="optic DOA")
    put_back = pair.scene(pair.a).run.sequence().get(port=pair.site.port(pair.site.sw_a, "Eth1/1"))
    sign(put_back, who=phone(pair.people["tess"]))
    assert "Signed: done" in sign(pair.destructive(pair.b), who=phone(pair.people["walt"]))


def test_two_approvers_approving_the_two_halves_at_the_same_instant_one_needs_an_override():
    from datetime import timedelta

    from accounts.roles import Role
    from maintenance.models import WindowStatus
    from tests.builders.pairs import build_pair
    from tests.builders.people import make_user

    pair = build_pair(b_starts_in=timedelta(hours=0))
    pair.a.submit(by=pair.people["rex"])
    pair.b.submit(by=pair.people["rex"])
    abe = make_user("abe", Role.APPROVER)

    outcomes = at_once(
        lambda: pair.a.approve(by=pair.people["ada"], comment="a"),
        lambda: pair.b.approve(by=abe, comment="b"),
    )

    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(failures) == 1 and "redundant pair" in str(failures[0])
    pair.a.refresh_from_db()
    pair.b.refresh_from_db()
    assert sorted([pair.a.status, pair.b.status]) == sorted([WindowStatus.APPROVED, WindowStatus.SUBMITTED])
