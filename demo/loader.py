"""The demo data: people, and LAX1, a data center like the one in the seed story.

LAX1 has a core pair (the upstream roots) and racks each with a redundant pair of top-of-rack switches;
about 75 customer sites run on servers, some dual-homed to both switches of their rack, some single-homed.
Every device and port carries an active QR tag, so every target of every demo window can be scanned.

Idempotent: running it twice neither fails nor duplicates, and never changes an existing user's password
(which would log out whoever is using the demo).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.roles import Role
from audit.log import record
from comms.models import Subscriber
from credits.models import CreditRule, SlaPlan
from inventory.models import (
    Cable,
    Customer,
    Device,
    DeviceKind,
    DeviceType,
    Location,
    Port,
    Rack,
    Service,
    Site,
    Tag,
    TagStatus,
)
from inventory.revisions import bump_sites
from maintenance.models import Window, WindowStatus


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: Role
    password: str


DEMO_USERS = [
    DemoUser("tess", "Tess Tran", Role.TECH, "tess-lockstep"),
    DemoUser("vic", "Vic Varga", Role.TECH, "vic-lockstep"),
    DemoUser("ada", "Ada Amari", Role.APPROVER, "ada-lockstep"),
    DemoUser("cora", "Cora Chen", Role.COORDINATOR, "cora-lockstep"),
    DemoUser("sam", "Sam Silva", Role.ADMIN, "sam-lockstep"),
]


RACKS = ["A01", "A02", "A03", "A04"]
SERVERS_PER_RACK = 10
SWITCH_PORTS = 48  # Eth1/1-48 face the servers; Eth1/49-50 go up to the core pair
CUSTOMERS = [
    "Acme Bakery",
    "Bluebird Books",
    "Cedar Dental",
    "Delta Freight",
    "Evergreen Florist",
    "Fable Games",
    "Granite Law",
    "Harbor Yoga",
    "Iris Optics",
    "Juniper Farms",
    "Kite Surf Co",
    "Lumen Studio",
    "Maple Clinic",
    "Nimbus Tea",
    "Orchid Salon",
    "Pioneer Roofing",
    "Quill Press",
    "Redwood Realty",
    "Summit Gear",
    "Tidewater Cafe",
    "Umber Pottery",
    "Vista Dental",
    "Willow Pets",
    "Xenon Labs",
    "Yarrow Garden",
    "Zephyr Cycles",
]
SITES_PER_SERVER = 2  # 40 servers, the first 35 host two customer sites each, the last 5 one: 75 sites


def load_demo() -> list[DemoUser]:
    users = load_demo_users()
    people = get_user_model().objects.in_bulk(["sam", "tess"], field_name="username")
    site = load_demo_data_center(by=people["sam"], tags_applied_by=people["tess"])
    load_demo_contacts()
    load_demo_plans()
    load_demo_windows(site)
    return users


def load_demo_plans() -> None:
    """The two plans the demo's sites are on: credits per block of downtime, and tiers by availability. An
    admin's later edits are kept: a plan is made only when it is missing."""
    SlaPlan.objects.get_or_create(
        name="business",
        defaults={
            "monthly_fee": Decimal("450.00"),
            "rule": CreditRule.BLOCKS,
            "block_minutes": 30,
            "block_percent": Decimal(5),
            "notice_hours": 72,
        },
    )
    SlaPlan.objects.get_or_create(
        name="standard",
        defaults={
            "monthly_fee": Decimal("120.00"),
            "rule": CreditRule.TIERS,
            "tiers": "99.9:0, 99.5:5, 99.0:10, 0:25",
            "notice_hours": 72,
        },
    )


@transaction.atomic
def load_demo_contacts() -> None:
    """One confirmed contact per customer, so approving or running a demo window writes real mail (to files
    under var/mail; the Outbox shows each message and when it was sent)."""
    for customer in Customer.objects.all():
        slug = "".join(ch for ch in customer.name.lower() if ch.isalnum())
        Subscriber.objects.get_or_create(
            customer=customer,
            email=f"status@{slug}.example",
            defaults={"confirmed_at": timezone.now()},
        )


@transaction.atomic
def load_demo_users() -> list[DemoUser]:
    User = get_user_model()
    for demo in DEMO_USERS:
        first, last = demo.full_name.split(" ", 1)
        user, created = User.objects.get_or_create(
            username=demo.username, defaults={"first_name": first, "last_name": last}
        )
        group, _ = Group.objects.get_or_create(name=demo.role.value)
        user.groups.add(group)
        is_admin = demo.role == Role.ADMIN
        user.is_staff = is_admin
        user.is_superuser = is_admin
        if created:
            # Only a new user gets the printed password: setting it again would log everyone out of a demo
            # that is running (a changed password ends the sessions made with the old one).
            user.set_password(demo.password)
        user.save()
        if created:
            record("demo.user_created", obj=user, payload={"role": demo.role.value})
    return DEMO_USERS


SERIAL_LOCATIONS = [
    ("Cisco", "Nexus 93180YC-FX", "on the pull-out tab, front left"),
    ("Juniper", "MX204", "on the label on the rear panel, right of the power supplies"),
    ("Dell", "PowerEdge R650", "on the luggage tag, front right (pull it out)"),
]


def _serial(prefix: str, n: int) -> str:
    return f"{prefix}{2300 + n:04d}X{n * 7919 % 1000:03d}"


@transaction.atomic
def load_demo_data_center(*, by, tags_applied_by) -> Site:
    site, _ = Site.objects.update_or_create(
        code="LAX1", defaults={"name": "Los Angeles 1", "time_zone": "America/Los_Angeles"}
    )
    cage, _ = Location.objects.get_or_create(site=site, name="Cage 4")
    # Where each model's serial sticker is: the step page and the printed runbook say where to look.
    for manufacturer, model, where in SERIAL_LOCATIONS:
        DeviceType.objects.update_or_create(
            manufacturer=manufacturer, model=model, defaults={"serial_location": where}
        )

    def device(name: str, rack: Rack, position: int, kind: DeviceKind, serial: str, **extra) -> Device:
        obj, _ = Device.objects.update_or_create(
            site=site,
            name=name,
            defaults={
                "rack": rack,
                "position": position,
                "face": "front",
                "kind": kind,
                "serial": serial,
                **extra,
            },
        )
        return obj

    def port(dev: Device, name: str) -> Port:
        return Port.objects.get_or_create(
            device=dev, kind="interface", name=name, defaults={"type": "10gbase-x-sfpp"}
        )[0]

    def cable(a: Port, b: Port) -> None:
        if a.cable_id and a.cable_id == b.cable_id:
            return
        link = Cable.objects.create(label=f"{a.device.name}:{a.name}--{b.device.name}:{b.name}"[:100])
        Port.objects.filter(pk=a.pk).update(cable=link, cable_end="A")
        Port.objects.filter(pk=b.pk).update(cable=link, cable_end="B")
        a.cable_id = b.cable_id = link.pk

    core_rack, _ = Rack.objects.get_or_create(site=site, name="A00", defaults={"location": cage})
    cores = [
        device(
            f"lax1-core-{i}",
            core_rack,
            40 - i,
            DeviceKind.ROUTER,
            _serial("JN", i),
            is_upstream_root=True,
            role="core-router",
            manufacturer="Juniper",
            model="MX204",
        )
        for i in (1, 2)
    ]
    core_ports = {core.pk: [port(core, f"et-0/0/{n}") for n in range(len(RACKS) * 2)] for core in cores}

    server_number = 0
    customer_sites = 0
    for r, rack_name in enumerate(RACKS):
        rack, _ = Rack.objects.get_or_create(site=site, name=rack_name, defaults={"location": cage})
        tors = [
            device(
                f"lax1-{rack_name.lower()}-tor-{side}",
                rack,
                42 - i,
                DeviceKind.SWITCH,
                _serial("FDO", r * 2 + i),
                role="access-switch",
                manufacturer="Cisco",
                model="Nexus 93180YC-FX",
            )
            for i, side in enumerate("ab")
        ]
        for t, tor in enumerate(tors):
            for n in range(1, SWITCH_PORTS + 3):
                port(tor, f"Eth1/{n}")
            for c, core in enumerate(cores):
                cable(port(tor, f"Eth1/{49 + c}"), core_ports[core.pk][r * 2 + t])
        for s in range(SERVERS_PER_RACK):
            server_number += 1
            server = device(
                f"lax1-{rack_name.lower()}-web{s + 1:02d}",
                rack,
                2 + s * 2,
                DeviceKind.SERVER,
                _serial("CZ", server_number),
                role="server",
                manufacturer="Dell",
                model="PowerEdge R650",
            )
            cable(port(server, "eth0"), port(tors[0], f"Eth1/{s + 1}"))
            # Two servers in three are dual-homed: the redundancy the blast radius must see.
            if s % 3 != 2:
                cable(port(server, "eth1"), port(tors[1], f"Eth1/{s + 1}"))
            hosted = SITES_PER_SERVER if server_number <= 35 else 1
            for h in range(hosted):
                customer_sites += 1
                customer, _ = Customer.objects.get_or_create(
                    name=CUSTOMERS[(customer_sites - 1) % len(CUSTOMERS)]
                )
                service, _ = Service.objects.update_or_create(
                    customer=customer,
                    name=f"site-{customer_sites:02d}",
                    defaults={
                        "public_name": f"{customer.name} website #{customer_sites}",
                        "sla_plan": "standard" if h else "business",
                    },
                )
                service.devices.add(server)

    # The cables above were written with QuerySet.update, which sends no signals.
    bump_sites([site.pk])
    # Every device and every port carries an active tag: any target a window names can be scanned.
    for chassis in Device.objects.filter(site=site).prefetch_related("ports"):
        for asset in [chassis, *chassis.ports.all()]:
            _active_tag(asset, serial=chassis.serial, issued_by=by, applied_by=tags_applied_by)
    return site


def _active_tag(asset, *, serial: str, issued_by, applied_by) -> None:
    # The admin issues the tags; a tech applies them, as only techs and approvers do (Tag.may_label_assets).
    link = {"device": asset} if isinstance(asset, Device) else {"port": asset}
    tag = Tag.objects.live().filter(**link).first() or Tag.issue(asset, by=issued_by)
    if tag.status == TagStatus.ISSUED:
        tag.commission(serial=serial, by=applied_by)


def _tonight(site: Site, days: int, hour: int) -> datetime:
    local = timezone.now().astimezone(site.tz) + timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0).astimezone(UTC)


def _ready_now(site: Site) -> tuple[datetime, datetime]:
    """From the top of this hour (site time) to later tonight, and at least two hours from now: a window
    the tech may start the moment the demo is loaded."""
    now = timezone.now()
    local = now.astimezone(site.tz)
    start = local.replace(minute=0, second=0, microsecond=0)
    tonight = local.replace(hour=23, minute=30, second=0, microsecond=0)
    return start.astimezone(UTC), max(tonight.astimezone(UTC), now + timedelta(hours=2))


@dataclass(frozen=True)
class DemoWindow:
    title: str
    requester: str
    targets: list[tuple[str, str | None, str]]  # device, port (or None), action
    customer_summary: str


# Two windows on the two switches of rack A02's redundant pair, at the same time tomorrow night: both wait for
# the approver, the queue shows the conflict, and approving the second needs an override naming the services.
PAIR_WINDOWS = [
    DemoWindow(
        "Replace optics on lax1-a02-tor-a",
        "tess",
        [("lax1-a02-tor-a", f"Eth1/{n}", "unplug") for n in (1, 2, 3)],
        "Planned network maintenance; redundant paths stay up for most sites.",
    ),
    DemoWindow(
        "Firmware upgrade lax1-a02-tor-b",
        "vic",
        [("lax1-a02-tor-b", None, "power_off")],
        "Planned network maintenance; redundant paths stay up for most sites.",
    ),
]
# Approved, and planned from the top of this hour: the tech can start it as soon as the demo is loaded.
READY_WINDOW = DemoWindow(
    "Move lax1-a03-web10 to rack A04",
    "vic",
    [("lax1-a03-web10", None, "move")],
    "The server hosting these sites moves to another rack; the sites are offline while it moves.",
)


def approval_comment(window) -> str:
    """What the demo's approver says, in words computed from the blast radius, never a stock phrase."""
    lost = sorted(window.services_at_risk().values())
    if not lost:
        return "Reviewed the blast radius: no customer service goes down."
    return (
        f"Reviewed the blast radius: {len(lost)} customer service(s) go down during this window "
        f"({', '.join(lost)}). Customers are told in advance."
    )


def load_demo_windows(site: Site) -> None:
    """The approver's queue and a window to work today. The pair is made once; a re-run leaves it. The window
    ready to start is made again (and its stale one cancelled) when a re-run comes after its time."""
    people = {u.username: u for u in get_user_model().objects.filter(username__in=["tess", "vic", "ada"])}
    for plan in PAIR_WINDOWS:
        if not Window.objects.filter(site=site, title=plan.title).exists():
            start = _tonight(site, 1, 22)
            _plan_window(site, plan, people, start, start + timedelta(hours=4))
    ready = (
        Window.objects.filter(site=site, title=READY_WINDOW.title)
        .exclude(status=WindowStatus.CANCELLED)
        .order_by("-pk")
        .first()
    )
    if (
        ready
        and ready.status == WindowStatus.APPROVED
        and ready.planned_end < timezone.now() + timedelta(hours=1)
    ):
        ready.cancel(by=people["ada"], reason="The demo was loaded again after this window's time.")
        ready = None
    if ready is None:
        window = _plan_window(site, READY_WINDOW, people, *_ready_now(site))
        window.approve(by=people["ada"], comment=approval_comment(window))


def _plan_window(site: Site, plan: DemoWindow, people: dict, start: datetime, end: datetime):
    requester = people[plan.requester]
    window = Window.objects.create(
        site=site,
        title=plan.title,
        planned_start=start,
        planned_end=end,
        requester=requester,
        risk="medium",
        description=f"{plan.title}. Prepared with the vendor's checklist.",
        rollback_plan="Re-seat the original parts and cables; verify links up on both switches.",
        customer_summary=plan.customer_summary,
    )
    window.assignees.add(people["tess"], people["vic"])
    for device_name, port_name, action in plan.targets:
        device = Device.objects.get(site=site, name=device_name)
        port = device.ports.get(name=port_name) if port_name else None
        window.add_target(by=requester, action=action, device=None if port else device, port=port)
    window.submit(by=requester)
    return window
