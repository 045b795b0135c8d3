"""Incidents: when something went wrong, with or without a window. Declared with the services it hit, moved
forward through its states by public updates (each one a notice to the affected customers), and closed service
by service as each is restored, so "41 of 75 restored" is counted, not typed."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role, has_role
from audit.log import record
from comms.models import NoticeKind
from comms.notices import announce
from inventory.models import Service, Site
from maintenance.models import WORK_BEGAN, Window

# Sent with every public update, inside its transaction: the silence watch (incidents.tasks) listens, so that
# the model needs no import of the tasks that read it.
said = Signal()


class IncidentRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IncidentState(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"


STATE_ORDER = list(IncidentState.values)


class Impact(models.TextChoices):
    DEGRADED = "degraded", "Degraded performance"
    PARTIAL = "partial_outage", "Partial outage"
    MAJOR = "major_outage", "Major outage"


IMPACT_ORDER = [Impact.DEGRADED, Impact.PARTIAL, Impact.MAJOR]


def worst_impact(impacts) -> str | None:
    """The worst of these impacts, or None when there are none."""
    return max(impacts, key=IMPACT_ORDER.index, default=None)


# What the coordinator starts from for each state, until an admin writes their own (IncidentTemplate): edited
# before it is sent, never sent unread.
STARTING_WORDS = {
    IncidentState.INVESTIGATING: "We are investigating a problem affecting services at this site.",
    IncidentState.IDENTIFIED: "We have found the cause and are restoring the affected services.",
    IncidentState.MONITORING: "Services are restored and we are watching them closely.",
    IncidentState.RESOLVED: "This incident is resolved. We will publish what happened and what we will change.",
}


class IncidentTemplate(models.Model):
    """The words an update starts from, per state, editable by an admin. Plain text: the coordinator edits
    them before posting, and the notice template (comms) wraps them for each channel."""

    state = models.CharField(max_length=20, choices=IncidentState.choices, unique=True)
    text = models.TextField(max_length=5000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "maintenance_incidenttemplate"  # kept from when it lived in maintenance
        ordering = ["state"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=IncidentState.values), name="incident_template_state_valid"
            )
        ]

    def __str__(self) -> str:
        return f"Update when {self.get_state_display().lower()}"

    @staticmethod
    def starting_words() -> dict[str, str]:
        """Each state's words: the admin's where written, ours otherwise. One query."""
        written = dict(IncidentTemplate.objects.values_list("state", "text"))
        return {state: written.get(state) or words for state, words in STARTING_WORDS.items()}


class Incident(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(max_length=200, help_text="Public: what customers see; no internal detail")
    state = models.CharField(
        max_length=20, choices=IncidentState.choices, default=IncidentState.INVESTIGATING
    )
    window = models.ForeignKey(
        Window, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    started_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    last_update_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "maintenance_incident"  # kept from when it lived in maintenance
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=IncidentState.values), name="incident_state_valid"),
            models.CheckConstraint(
                condition=Q(state=IncidentState.RESOLVED) | Q(resolved_at__isnull=True),
                name="incident_resolved_only_when_resolved",
            ),
        ]

    def __str__(self) -> str:
        return f"INC-{self.pk}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:incident", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"INC-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state != IncidentState.RESOLVED

    @property
    def impact(self) -> str | None:
        """The worst impact on a service not yet restored (None once all are): read from the services, so
        prefetching `affected` makes it free."""
        return worst_impact(row.impact for row in self.affected.all() if row.restored_at is None)

    @property
    def impact_label(self) -> str:
        return Impact(self.impact).label if self.impact else "Services restored"

    # --- who may -------------------------------------------------------------------------------------

    @staticmethod
    def may_declare(user) -> bool:
        return has_role(user, Role.COORDINATOR) or has_role(user, Role.APPROVER)

    @classmethod
    def may_declare_from(cls, window, user) -> bool:
        """Something went wrong during the work (or after it): an incident is declared from the window, its
        blast radius filling the form in. Before the work starts there is nothing to declare from."""
        return window.status in WORK_BEGAN and cls.may_declare(user)

    def may_manage(self, user) -> bool:
        return self.is_open and self.may_declare(user)

    def stale(self, now: datetime | None = None) -> bool:
        """Open, and no public word for longer than the set time: customers are waiting."""
        now = now or timezone.now()
        return self.is_open and now - self.last_update_at > timedelta(
            minutes=settings.LOCKSTEP_INCIDENT_STALE_MINUTES
        )

    # --- changes -------------------------------------------------------------------------------------

    @classmethod
    def declare(
        cls,
        *,
        by,
        site: Site,
        title: str,
        impact: str,
        message: str,
        services: list[int],
        window=None,
        started_at: datetime | None = None,
    ) -> Incident:
        if not cls.may_declare(by):
            raise IncidentRefused("Only a coordinator or an approver declares an incident.")
        if window is not None and not cls.may_declare_from(window, by):
            raise IncidentRefused(
                f"{window.reference} has not started: an incident is declared from work under way or done."
            )
        title, message = (title or "").strip(), (message or "").strip()
        if not title or not message:
            raise IncidentRefused("Give the incident a public title and a first update for customers.")
        if impact not in Impact.values:
            raise IncidentRefused("Choose the impact.")
        chosen = list(Service.objects.filter(pk__in=services).values_list("pk", flat=True))
        if not chosen:
            raise IncidentRefused("Choose at least one affected service.")
        now = timezone.now()
        started = started_at or now
        if started > now:
            raise IncidentRefused("An incident cannot start in the future.")
        with transaction.atomic():
            incident = cls.objects.create(
                site=site,
                title=title[:200],
                window=window,
                started_at=started,
                declared_by=by,
                last_update_at=now,
            )
            rows = IncidentService.objects.bulk_create(
                IncidentService(incident=incident, service_id=pk, impact=impact) for pk in chosen
            )
            IncidentImpact.objects.bulk_create(
                IncidentImpact(row=row, impact=impact, at=started) for row in rows
            )
            record(
                "incident.declared",
                actor=by,
                obj=incident,
                payload={
                    "site": site.code,
                    "impact": impact,
                    "services": chosen,
                    "window": getattr(window, "pk", None),
                },
            )
            incident._say(by=by, state=IncidentState.INVESTIGATING, message=message)
        return incident

    def post_update(self, *, by, state: str, message: str) -> IncidentUpdate:
        """A public update: the state moves forward (or stays), the words go to the affected customers."""
        message = (message or "").strip()
        if not message:
            raise IncidentRefused("Write the update customers will read.")
        if state not in IncidentState.values:
            raise IncidentRefused("Choose the incident's state.")
        with transaction.atomic():
            incident = Incident.objects.select_for_update().get(pk=self.pk)
            if not incident.may_manage(by):
                raise IncidentRefused(
                    "This incident is resolved."
                    if not incident.is_open
                    else "Only a coordinator or an approver updates an incident."
                )
            if STATE_ORDER.index(state) < STATE_ORDER.index(incident.state):
                raise IncidentRefused(
                    f"The incident is already {incident.get_state_display().lower()}; an update does not move it back."
                )
            now = timezone.now()
            if state == IncidentState.RESOLVED:
                left = incident.affected.filter(restored_at__isnull=True)
                if left.exists():
                    raise IncidentRefused(
                        f"{left.count()} service(s) are not marked restored yet. Mark each restored (with its time) first."
                    )
                incident.resolved_at = now
            incident.state, incident.last_update_at = state, now
            incident.save(update_fields=["state", "resolved_at", "last_update_at"])
            update = incident._say(by=by, state=state, message=message)
        self.state, self.resolved_at, self.last_update_at = (
            incident.state,
            incident.resolved_at,
            incident.last_update_at,
        )
        return update

    def restore(self, *, by, services: list[int], at: datetime | None = None) -> int:
        """Mark services restored at `at` (now by default, never in the future or before the incident began).
        A service already restored keeps its first time: a correction is a new update, not an edit."""
        now = timezone.now()
        at = at or now
        if at > now or at < self.started_at:
            raise IncidentRefused("A restoration time is between the incident's start and now.")
        with transaction.atomic():
            incident = Incident.objects.select_for_update().get(pk=self.pk)
            if not incident.may_manage(by):
                raise IncidentRefused(
                    "Only a coordinator or an approver marks services restored on an open incident."
                )
            rows = incident.affected.filter(service_id__in=services, restored_at__isnull=True)
            marked = list(rows.values_list("service_id", flat=True))
            rows.update(restored_at=at)
            if marked:
                record(
                    "incident.restored",
                    actor=by,
                    obj=incident,
                    payload={"services": marked, "at": at.isoformat()},
                )
        return len(marked)

    def set_impact(self, *, by, services: list[int], impact: str) -> int:
        """Change the impact on services not yet restored (a service gets better, or worse, while the work
        goes on). The rows hold the impact now; the audit log holds every change, from what to what."""
        if impact not in Impact.values:
            raise IncidentRefused("Choose the impact.")
        with transaction.atomic():
            incident = Incident.objects.select_for_update().get(pk=self.pk)
            if not incident.may_manage(by):
                raise IncidentRefused(
                    "Only a coordinator or an approver changes the impact on an open incident."
                )
            rows = incident.affected.filter(service_id__in=services, restored_at__isnull=True).exclude(
                impact=impact
            )
            changing = list(rows)
            before = {row.service_id: row.impact for row in changing}
            rows.update(impact=impact)
            now = timezone.now()
            IncidentImpact.objects.bulk_create(
                IncidentImpact(row=row, impact=impact, at=now) for row in changing
            )
            if before:
                record(
                    "incident.impact_changed",
                    actor=by,
                    obj=incident,
                    payload={"impact": impact, "before": {str(pk): was for pk, was in before.items()}},
                )
        return len(before)

    def _say(self, *, by, state: str, message: str) -> IncidentUpdate:
        update = IncidentUpdate.objects.create(incident=self, state=state, message=message[:5000], by=by)
        announce(
            NoticeKind.INCIDENT,
            services=list(self.affected.values_list("service_id", flat=True)),
            values={
                "reference": self.reference,
                "title": self.title,
                "site": self.site.name,
                "state": IncidentState(state).label,
                "message": message,
            },
            about=self,
            site=self.site,
            reference=self.reference,
            by=by,
        )
        record("incident.updated", actor=by, obj=self, payload={"state": state, "message": message[:2000]})
        said.send(sender=Incident, incident=self)
        return update

    def progress(self) -> tuple[int, int]:
        """(restored, affected): counted from the services, never typed (free when `affected` is prefetched)."""
        rows = self.affected.all()
        return sum(1 for row in rows if row.restored_at is not None), len(rows)


class IncidentService(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="incident_rows")
    impact = models.CharField(max_length=20, choices=Impact.choices, default=Impact.MAJOR)
    restored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "maintenance_incidentservice"  # kept from when it lived in maintenance
        ordering = ["incident", "service__name"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "service"], name="incident_service_once"),
            models.CheckConstraint(
                condition=Q(impact__in=Impact.values), name="incident_service_impact_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} in {self.incident}"


class IncidentImpact(models.Model):
    """An affected service's impact from `at` on: the history downtime is measured from (a service that was a
    major outage for three hours, then only slow, was down for three hours)."""

    row = models.ForeignKey(IncidentService, on_delete=models.CASCADE, related_name="history")
    impact = models.CharField(max_length=20, choices=Impact.choices)
    at = models.DateTimeField()

    class Meta:
        db_table = "maintenance_incidentimpact"  # kept from when it lived in maintenance
        ordering = ["row", "at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(impact__in=Impact.values), name="incident_impact_history_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.row}: {self.get_impact_display()} from {self.at:%Y-%m-%d %H:%M}"


class IncidentUpdate(models.Model):
    """One public update, as customers read it: the public timeline, append-only."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    state = models.CharField(max_length=20, choices=IncidentState.choices)
    message = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "maintenance_incidentupdate"  # kept from when it lived in maintenance
        ordering = ["incident", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.incident.reference} {self.get_state_display()}"
