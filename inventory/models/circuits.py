"""Circuits: a provider's line between two sites, and the sites they join. What is cut at one end of an
active circuit reaches the other, so the sites a circuit joins share one blast radius, one revision and one
lock (see sites.py and inventory/blast_radius.py)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class CircuitStatus(models.TextChoices):
    """NetBox's CircuitStatusChoices: only an active circuit carries traffic."""

    PLANNED = "planned", "Planned"
    PROVISIONING = "provisioning", "Provisioning"
    ACTIVE = "active", "Active"
    OFFLINE = "offline", "Offline"
    DEPROVISIONING = "deprovisioning", "Deprovisioning"
    DECOMMISSIONED = "decommissioned", "Decommissioned"


class Circuit(models.Model):
    """A provider's circuit between two sites (NetBox's circuit, by its circuit id): what joins one site's
    blast radius to another's."""

    cid = models.CharField("circuit ID", max_length=100, unique=True)
    provider = models.CharField(max_length=100, blank=True)
    type = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=CircuitStatus.choices, default=CircuitStatus.ACTIVE)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["cid"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CircuitStatus.values), name="circuit_status_valid")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.cid}".strip()


class CircuitTermination(models.Model):
    """One end (A or Z) of a circuit: at a site, and cabled (in NetBox) to one port there. Lockstep keeps the
    port the cable lands on rather than the cable, since a termination is not a port anyone can tag."""

    circuit = models.ForeignKey(Circuit, on_delete=models.CASCADE, related_name="terminations")
    term_side = models.CharField(max_length=1, choices=[("A", "A"), ("Z", "Z")])
    site = models.ForeignKey("Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    port = models.OneToOneField(
        "Port", null=True, blank=True, on_delete=models.SET_NULL, related_name="circuit_termination"
    )

    class Meta:
        ordering = ["circuit", "term_side"]
        constraints = [
            models.UniqueConstraint(fields=["circuit", "term_side"], name="circuit_one_termination_per_side"),
            models.CheckConstraint(condition=Q(term_side__in=["A", "Z"]), name="circuit_term_side_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.circuit.cid} {self.term_side}"


def circuits_between_sites() -> tuple[dict[int, list[int]], dict[int, set[int]]]:
    """The active circuits cabled at both ends: circuit -> its two ports, and site -> the sites it reaches."""
    ends: dict[int, list[tuple[int, int]]] = {}
    rows = CircuitTermination.objects.filter(circuit__status=CircuitStatus.ACTIVE, port__isnull=False)
    for circuit_id, port_id, site_id in rows.values_list("circuit_id", "port_id", "port__device__site_id"):
        ends.setdefault(circuit_id, []).append((port_id, site_id))
    joined = {circuit: pair for circuit, pair in ends.items() if len(pair) == 2}
    neighbours: dict[int, set[int]] = {}
    for (_, a_site), (_, b_site) in joined.values():
        neighbours.setdefault(a_site, set()).add(b_site)
        neighbours.setdefault(b_site, set()).add(a_site)
    return {circuit: [port for port, _ in pair] for circuit, pair in joined.items()}, neighbours


def sites_reached(start: int, neighbours: dict[int, set[int]]) -> set[int]:
    """`start` and every site `neighbours` (from circuits_between_sites) reach from it, however many hops."""
    sites, frontier = {start}, [start]
    while frontier:
        frontier = [other for site in frontier for other in neighbours.get(site, ()) if other not in sites]
        sites.update(frontier)
    return sites


def joined_sites(site_id: int) -> set[int]:
    """The site and every site its active circuits reach: one blast radius, one set of decisions."""
    return sites_reached(site_id, circuits_between_sites()[1])
