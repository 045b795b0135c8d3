"""Two windows on the two halves of a redundant pair at LAX1: CHG-A unplugs sw-a Eth1/1, CHG-B unplugs
sw-b Eth1/1. web01 (Acme's site) is dual-homed to both: either alone leaves it up, both at once take it down.
rex asks for both, ada approves, tess and vic work CHG-A, walt and wes work CHG-B."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from accounts.roles import Role
from checklists.execution import release, scan, sign
from checklists.models import Step, StepKind, StepStatus
from inventory.models import Circuit, CircuitTermination, Device, Port, Site, Tag
from maintenance.models import Override, TargetAction, Window
from tests.builders.people import make_user, phone
from tests.builders.scenes import Scene, finish_steps_before
from tests.builders.sites import RedundantSite, build_redundant_site, tag_everything
from tests.builders.windows import make_window


@dataclass
class Pair:
    site: RedundantSite
    tags: dict[str, Tag]
    a: Window
    b: Window
    people: dict

    def scene(self, window: Window) -> Scene:
        window.refresh_from_db()
        return Scene(self.site, window, window.run, self.tags)

    def destructive(self, window: Window) -> Step:
        return self.scene(window).step(kind=StepKind.DESTRUCTIVE)


def build_pair(*, b_starts_in=timedelta(hours=1), hours=4) -> Pair:
    site = build_redundant_site()
    # Interlock stories: how each scan was made is not what they are about.
    site.site.camera_scan_required = False
    site.site.save()
    people = {
        "rex": make_user("rex", Role.TECH),
        "ada": make_user("ada", Role.APPROVER),
        "tess": make_user("tess", Role.TECH),
        "vic": make_user("vic", Role.TECH),
        "walt": make_user("walt", Role.TECH),
        "wes": make_user("wes", Role.TECH),
    }
    tags = tag_everything(site, people["ada"])
    a = make_window(
        people["rex"], site.site, title="Optics on sw-a", start_in=timedelta(hours=-1), hours=hours
    )
    a.assignees.add(people["tess"], people["vic"])
    a.add_target(by=people["rex"], action=TargetAction.UNPLUG, port=site.port(site.sw_a, "Eth1/1"))
    b = make_window(people["rex"], site.site, title="Optics on sw-b", start_in=b_starts_in, hours=hours)
    b.assignees.add(people["walt"], people["wes"])
    b.add_target(by=people["rex"], action=TargetAction.UNPLUG, port=site.port(site.sw_b, "Eth1/1"))
    return Pair(site, tags, a, b, people)


def clear(pair: Pair, step: Step, performer, verifier) -> None:
    """Both techs scan the step's asset and its chassis serial on their own phones: the step is cleared."""
    code = pair.tags[str(step.asset)].code
    serial = step.chassis.serial
    scan(step, who=phone(performer), raw=code, serial=serial)
    scan(Step.objects.get(pk=step.pk), who=phone(verifier), raw=code, serial=serial)


def split_across_sites(pair: Pair):
    """Move sw-b and CHG-B to LAX2, joined to LAX1 by circuit CID-9 (core et-9 to sw-b Eth1/4). web01 at
    LAX1 still hangs off both switches: the pair's halves are at two sites that share one blast radius."""
    lax2 = Site.objects.create(
        code="LAX2", name="Los Angeles 2", time_zone="America/Los_Angeles", camera_scan_required=False
    )
    Device.objects.filter(pk=pair.site.sw_b.pk).update(site=lax2, rack=None, position=None)
    Window.objects.filter(pk=pair.b.pk).update(site=lax2)
    circuit = Circuit.objects.create(cid="CID-9", provider="Fibre Co")
    near = Port.objects.create(device=pair.site.core, name="et-9")
    CircuitTermination.objects.create(circuit=circuit, term_side="A", site=pair.site.site, port=near)
    far = Port.objects.get(device=pair.site.sw_b, name="Eth1/4")
    CircuitTermination.objects.create(circuit=circuit, term_side="Z", site=lax2, port=far)
    pair.b.refresh_from_db()
    return lax2


def running_pair(*, override: bool = False) -> Pair:
    """CHG-A planned first, CHG-B after it (no overlap at approval, so no override was needed); CHG-A
    overruns and both are worked at once. With `override`, they overlap and B was approved over A."""
    pair = build_pair(b_starts_in=timedelta(hours=0) if override else timedelta(hours=4), hours=3)
    rex, ada = pair.people["rex"], pair.people["ada"]
    pair.a.submit(by=rex)
    pair.a.approve(by=ada, comment="sw-a")
    pair.b.submit(by=rex)
    if override:
        pair.b.approve(by=ada, override=Override((pair.site.acme.pk,), "both tonight, carefully"))
    else:
        pair.b.approve(by=ada, comment="sw-b")
    pair.a.start(by=pair.people["tess"], now=pair.a.planned_start)
    pair.b.start(by=pair.people["walt"], now=pair.b.planned_start)
    return pair


def cut_a(pair: Pair) -> None:
    """tess and vic unplug sw-a Eth1/1 and sign it done: Acme's web01 runs on sw-b alone now."""
    step = pair.destructive(pair.a)
    finish_steps_before(pair.scene(pair.a), step.position)
    clear(pair, step, pair.people["tess"], pair.people["vic"])
    sign(pair.destructive(pair.a), who=phone(pair.people["tess"]))


def clear_b(pair: Pair):
    """walt and wes reach CHG-B's unplug and both scan sw-b Eth1/1: cleared, not yet done."""
    step = pair.destructive(pair.b)
    scene = pair.scene(pair.b)
    for earlier in scene.run.sequence().filter(position__lt=step.position):
        if earlier.kind == "identity_check":
            scan(earlier, who=phone(pair.people["walt"]), raw=pair.tags[str(earlier.asset)].code)
        elif earlier.kind == "hold_point":
            release(earlier, who=phone(pair.people["ada"]))
        else:
            sign(earlier, who=phone(pair.people["walt"]))
    clear(pair, step, pair.people["walt"], pair.people["wes"])
    step = pair.destructive(pair.b)
    assert step.status == StepStatus.CLEARED
    return step


def running_pair_with(b_target) -> Pair:
    """As `running_pair`, with CHG-B's one target changed before it is submitted: `b_target(target, site)`."""
    pair = build_pair(b_starts_in=timedelta(hours=4), hours=3)
    target = pair.b.targets.get()
    b_target(target, pair.site)
    target.save()
    rex, ada = pair.people["rex"], pair.people["ada"]
    pair.a.submit(by=rex)
    pair.a.approve(by=ada, comment="a")
    pair.b.submit(by=rex)
    pair.b.approve(by=ada, comment="b")
    pair.a.start(by=pair.people["tess"], now=pair.a.planned_start)
    pair.b.start(by=pair.people["walt"], now=pair.b.planned_start)
    return pair
