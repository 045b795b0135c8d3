"""The demo data: people, and LAX1, a data center like the one in the seed story.

LAX1 has a core pair (the upstream roots) and racks each with a redundant pair of top-of-rack switches;
about 75 customer sites run on servers, some dual-homed to both switches of their rack, some single-homed.
Every switch and switch port carries an active QR tag.

Idempotent: running it twice neither fails nor duplicates, and leaves the printed passwords true.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.roles import Role
from audit.log import record
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
    site = load_demo_data_center(by=get_user_model().objects.get(username="sam"))
    load_demo_windows(site)
    return users


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
def load_demo_data_center(*, by) -> Site:
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
    switches = Device.objects.filter(site=site, kind__in=[DeviceKind.SWITCH, DeviceKind.ROUTER])
    for switch in switches:
        for asset in [switch, *switch.ports.all()]:
            _active_tag(asset, serial=switch.serial, by=by)
    return site


def _active_tag(asset, *, serial: str, by) -> None:
    link = {"device": asset} if isinstance(asset, Device) else {"port": asset}
    tag = Tag.objects.live().filter(**link).first() or Tag.issue(asset, by=by)
    if tag.status == TagStatus.ISSUED:
        tag.commission(serial=serial, by=by)


def _tonight(site: Site, days: int, hour: int) -> datetime:
    local = timezone.now().astimezone(site.tz) + timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0).astimezone(UTC)


def load_demo_windows(site: Site) -> None:
    """Three windows for the approver's queue: one to review, one that conflicts with it (the other switch of
    the same redundant pair at the same time), and one already approved. Made once; a re-run leaves them."""
    from maintenance.models import TargetAction, Window

    people = {u.username: u for u in get_user_model().objects.filter(username__in=["tess", "vic", "ada"])}
    plans = [
        (
            "Replace optics on lax1-a02-tor-a",
            "tess",
            1,
            [("lax1-a02-tor-a", f"Eth1/{n}", TargetAction.UNPLUG) for n in (1, 2, 3)],
            None,
        ),
        (
            "Firmware upgrade lax1-a02-tor-b",
            "vic",
            1,
            [("lax1-a02-tor-b", None, TargetAction.POWER_OFF)],
            None,
        ),
        ("Move lax1-a03-web10 to rack A04", "vic", 2, [("lax1-a03-web10", None, TargetAction.MOVE)], "ada"),
    ]
    for title, requester, days, targets, approver in plans:
        if Window.objects.filter(site=site, title=title).exists():
            continue
        start = _tonight(site, days, 22)
        window = Window.objects.create(
            site=site,
            title=title,
            planned_start=start,
            planned_end=start + timedelta(hours=4),
            requester=people[requester],
            risk="medium",
            description=f"{title}. Prepared with the vendor's checklist.",
            rollback_plan="Re-seat the original parts and cables; verify links up on both switches.",
            customer_summary="Planned network maintenance; redundant paths stay up for most sites.",
        )
        window.assignees.add(people["tess"], people["vic"])
        for device_name, port_name, action in targets:
            device = Device.objects.get(site=site, name=device_name)
            port = device.ports.get(name=port_name) if port_name else None
            window.add_target(by=people[requester], action=action, device=None if port else device, port=port)
        window.submit(by=people[requester])
        if approver:
            window.approve(by=people[approver], comment="Reviewed blast radius: no customer impact.")
