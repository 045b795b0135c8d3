"""Two windows on the two halves of a redundant pair at LAX1: CHG-A unplugs sw-a Eth1/1, CHG-B unplugs
sw-b Eth1/1. web01 (Acme's site) is dual-homed to both: either alone leaves it up, both at once take it down.
rex asks for both, ada approves, tess and vic work CHG-A, walt and wes work CHG-B."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from accounts.roles import Role
from checklists.models import Step, StepKind
from inventory.models import Tag
from maintenance.models import TargetAction, Window
from tests.checklists.conftest import Scene, phone, tag_everything
from tests.conftest import make_user
from tests.maintenance.conftest import RedundantSite, build_redundant_site, make_window


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
        window.refresh_from_db()
        return window.run.steps.get(kind=StepKind.DESTRUCTIVE, is_rollback=False)


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
    from checklists.execution import scan

    code = pair.tags[str(step.asset)].code
    serial = step.chassis.serial
    scan(step, who=phone(performer), raw=code, serial=serial)
    scan(Step.objects.get(pk=step.pk), who=phone(verifier), raw=code, serial=serial)


def split_across_sites(pair: Pair):
    """Move sw-b and CHG-B to LAX2, joined to LAX1 by circuit CID-9 (core et-9 to sw-b Eth1/4). web01 at
    LAX1 still hangs off both switches: the pair's halves are at two sites that share one blast radius."""
    from inventory.models import Circuit, CircuitTermination, Device, Port, Site

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
