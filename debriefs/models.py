"""Debriefs: what happened, what went wrong and what went well, and the actions that make the next runbook
better. Blameless by design: the questions ask what and how, never who; the timeline (from the record) says
who did what, because that is how it happened, not whose fault it was."""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role, has_role
from audit.log import record
from checklists.models import ChecklistTemplate, Run
from incidents.models import Incident
from maintenance.models import WORK_BEGAN, Window


class DebriefRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# The questions, in the order asked: each names what it wants and never asks who.
QUESTIONS = {
    "summary": ("Summary", "What happened, in a few sentences a customer could read."),
    "trigger": ("Trigger", "What set it off?"),
    "detection": ("Detection", "How and when was it noticed? What told us first?"),
    "root_cause": (
        "Root cause",
        "What made it possible? Keep asking why until the answer is about a system.",
    ),
    "resolution": ("Resolution", "What brought the services back, and how long did each part take?"),
    "went_wrong": ("What went wrong", "Where did the process, the tools or the information let us down?"),
    "went_well": ("What went well", "What worked, and should be kept as it is?"),
    "lucky": ("Where we got lucky", "What could have made it worse, and did not, by chance?"),
}


class Debrief(models.Model):
    """One per window or incident."""

    window = models.OneToOneField(
        "maintenance.Window", null=True, blank=True, on_delete=models.PROTECT, related_name="debrief"
    )
    incident = models.OneToOneField(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="debrief"
    )
    summary = models.TextField(blank=True, max_length=10_000)
    trigger = models.TextField(blank=True, max_length=10_000)
    detection = models.TextField(blank=True, max_length=10_000)
    root_cause = models.TextField(blank=True, max_length=10_000)
    resolution = models.TextField(blank=True, max_length=10_000)
    went_wrong = models.TextField(blank=True, max_length=10_000)
    went_well = models.TextField(blank=True, max_length=10_000)
    lucky = models.TextField(blank=True, max_length=10_000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "maintenance_debrief"  # kept from when it lived in maintenance
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(window__isnull=False) & Q(incident__isnull=True))
                | (Q(window__isnull=True) & Q(incident__isnull=False)),
                name="debrief_of_a_window_or_an_incident",
            )
        ]

    def __str__(self) -> str:
        return f"Debrief of {self.subject.reference}"

    def get_absolute_url(self) -> str:
        return reverse("debriefs:debrief", args=[self.pk])

    @property
    def subject(self):
        return self.incident if self.incident_id else self.window

    @property
    def site(self):
        return self.subject.site

    # --- who may -------------------------------------------------------------------------------------

    @staticmethod
    def may_hold(user) -> bool:
        """Coordinators and approvers hold debriefs; everyone who took part reads them."""
        return has_role(user, Role.COORDINATOR) or has_role(user, Role.APPROVER)

    @classmethod
    def may_open(cls, user, subject) -> bool:
        """An incident is debriefed any time; a window once its work began."""
        if not cls.may_hold(user):
            return False
        if isinstance(subject, Window):
            return subject.status in WORK_BEGAN
        return True

    # --- changes -------------------------------------------------------------------------------------

    @classmethod
    def open_for(cls, subject, *, by) -> Debrief:
        """The subject's debrief, made on first use."""
        if not cls.may_open(by, subject):
            raise DebriefRefused("A coordinator or an approver debriefs an incident, or work that began.")
        key = {"incident": subject} if isinstance(subject, Incident) else {"window": subject}
        with transaction.atomic():
            type(subject).objects.select_for_update().filter(pk=subject.pk).first()
            debrief = cls.objects.filter(**key).first()
            if debrief is None:
                debrief = cls.objects.create(created_by=by, **key)
                record("debrief.opened", actor=by, obj=debrief, payload={"about": subject.reference})
        return debrief

    def write(self, *, by, answers: dict[str, str]) -> list[str]:
        """Save the answers given; the audit log keeps every version (what changed, from what, to what)."""
        if not self.may_hold(by):
            raise DebriefRefused("A coordinator or an approver writes the debrief.")
        with transaction.atomic():
            row = Debrief.objects.select_for_update().get(pk=self.pk)
            changed = {}
            for name in QUESTIONS:
                if name in answers:
                    new = (answers[name] or "").strip()[:10_000]
                    if new != getattr(row, name):
                        changed[name] = (getattr(row, name), new)
                        setattr(row, name, new)
            if changed:
                row.updated_at = timezone.now()
                row.save(update_fields=[*changed, "updated_at"])
                record(
                    "debrief.written",
                    actor=by,
                    obj=row,
                    payload={name: {"before": b, "after": a} for name, (b, a) in changed.items()},
                )
        for name in QUESTIONS:
            setattr(self, name, getattr(row, name))
        return list(changed)

    def add_action(
        self, *, by, what: str, owner, due, template: ChecklistTemplate | None = None
    ) -> ActionItem:
        what = (what or "").strip()
        if not self.may_hold(by):
            raise DebriefRefused("A coordinator or an approver agrees the actions.")
        if not what:
            raise DebriefRefused("Say what will change.")
        if due < timezone.localdate():
            raise DebriefRefused("An action is due today or later.")
        with transaction.atomic():
            action = ActionItem.objects.create(
                debrief=self, what=what[:500], owner=owner, due=due, template=template
            )
            record(
                "debrief.action_added",
                actor=by,
                obj=action,
                payload={
                    "debrief": self.pk,
                    "what": action.what,
                    "owner": owner.get_username(),
                    "due": due.isoformat(),
                    "template": str(template) if template else "",
                },
            )
        return action

    def report_draft(self, impact_words: str = "") -> dict[str, str]:
        """A post-incident report's first draft, from the debrief: the holder edits it before publishing."""
        latest = self.reports.order_by("-revision").first()
        if latest is not None:
            return {name: getattr(latest, name) for name in REPORT_PARTS} | {"audience": latest.audience}
        return {
            "title": f"What happened: {self.subject.title}",
            "happened": self.summary,
            "impact": impact_words,
            "did": self.resolution,
            "will_change": "\n".join(f"- {a.what}" for a in self.actions.all()),
            "responsibility": "This was our mistake, not our customers' and not a supplier's. We are sorry for "
            "the disruption it caused, and we are making the changes above so that it does not happen again.",
            "audience": ReportAudience.PUBLIC,
        }

    def publish_report(self, *, by, parts: dict[str, str], audience: str) -> Report:
        """A new revision of the report, on the status pages at once. A correction is a new revision: what
        was published stays on the record."""
        if not self.may_hold(by):
            raise DebriefRefused("A coordinator or an approver publishes the report.")
        if not self.incident_id:
            raise DebriefRefused(
                "A post-incident report is published for an incident (declare one for this work)."
            )
        if audience not in ReportAudience.values:
            raise DebriefRefused("Choose who reads it: everyone, or the affected customers.")
        clean = {name: (parts.get(name) or "").strip()[:10_000] for name in REPORT_PARTS}
        missing = [REPORT_PARTS[name] for name, text in clean.items() if not text]
        if missing:
            raise DebriefRefused(f"Write every part before publishing: {', '.join(missing).lower()}.")
        with transaction.atomic():
            Debrief.objects.select_for_update().get(pk=self.pk)
            last = self.reports.order_by("-revision").values_list("revision", flat=True).first() or 0
            report = Report.objects.create(
                debrief=self, revision=last + 1, audience=audience, published_by=by, **clean
            )
            record(
                "debrief.report_published",
                actor=by,
                obj=report,
                payload={"debrief": self.pk, "revision": report.revision, "audience": audience, **clean},
            )
        return report


class ReportAudience(models.TextChoices):
    PUBLIC = "public", "Everyone (the public status page and the affected customers' pages)"
    CUSTOMERS = "customers", "Only the affected customers (their private pages)"


# The parts of a post-incident report, as headed on the status page.
REPORT_PARTS = {
    "title": "Title",
    "happened": "What happened",
    "impact": "The impact",
    "did": "What we did",
    "will_change": "What we will change",
    "responsibility": "Our responsibility",
}


class Report(models.Model):
    """A post-incident report as published: each revision kept; the newest is the one shown."""

    debrief = models.ForeignKey(Debrief, on_delete=models.PROTECT, related_name="reports")
    revision = models.PositiveIntegerField()
    audience = models.CharField(max_length=10, choices=ReportAudience.choices)
    title = models.CharField(max_length=200)
    happened = models.TextField()
    impact = models.TextField()
    did = models.TextField()
    will_change = models.TextField()
    responsibility = models.TextField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "maintenance_report"  # kept from when it lived in maintenance
        ordering = ["debrief", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["debrief", "revision"], name="report_revision_once"),
            models.CheckConstraint(
                condition=Q(audience__in=ReportAudience.values), name="report_audience_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (revision {self.revision})"

    @classmethod
    def shown_on_status(cls, incident_ids: list[int], *, customers: bool) -> dict[int, Report]:
        """Each incident's report as its status page shows it (incidents.status asks): the newest revision, if
        published to these readers (`customers`: a customer's own page), or nothing. A correction for the
        customers only withdraws an earlier public one. One query."""
        readers = [ReportAudience.PUBLIC, ReportAudience.CUSTOMERS] if customers else [ReportAudience.PUBLIC]
        newest: dict[int, Report] = {}
        for report in cls.objects.filter(debrief__incident__in=incident_ids).select_related("debrief"):
            held = newest.get(report.debrief.incident_id)
            if held is None or report.revision > held.revision:
                newest[report.debrief.incident_id] = report
        return {pk: report for pk, report in newest.items() if report.audience in readers}


class ActionState(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class ActionItem(models.Model):
    """Something to change so it does not happen again. One that names a checklist template is done when a
    newer version of that template is published: the lesson is in the next runbook, not in a document."""

    debrief = models.ForeignKey(Debrief, on_delete=models.CASCADE, related_name="actions")
    what = models.CharField(max_length=500)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due = models.DateField()
    template = models.ForeignKey(
        ChecklistTemplate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The checklist this changes, as it was when the action was agreed",
    )
    state = models.CharField(max_length=10, choices=ActionState.choices, default=ActionState.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_with = models.ForeignKey(
        ChecklistTemplate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The template version that carries the change",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "maintenance_actionitem"  # kept from when it lived in maintenance
        ordering = ["state", "due", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=ActionState.values), name="action_state_valid"),
        ]

    def __str__(self) -> str:
        return self.what

    def newer_version(self) -> ChecklistTemplate | None:
        """The newest version of the action's template published since it was agreed, if any."""
        if not self.template_id:
            return None
        latest = ChecklistTemplate.latest(self.template.slug)
        return latest if latest and latest.version > self.template.version else None

    def may_close(self, user) -> bool:
        if self.state != ActionState.OPEN or not Debrief.may_hold(user):
            return False
        return not self.template_id or self.newer_version() is not None

    def close(self, *, by) -> None:
        """Done: a plain action on the holder's word; a template action only with the new version published."""
        with transaction.atomic():
            row = (
                ActionItem.objects.select_for_update(of=("self",)).select_related("template").get(pk=self.pk)
            )
            if row.state != ActionState.OPEN or not Debrief.may_hold(by):
                raise DebriefRefused("Only an open action is closed, by a coordinator or an approver.")
            newer = row.newer_version()
            if row.template_id and newer is None:
                raise DebriefRefused(
                    f"This action changes “{row.template}”: it is done when a newer version is published."
                )
            row.state, row.done_at, row.done_by, row.done_with = ActionState.DONE, timezone.now(), by, newer
            row.save(update_fields=["state", "done_at", "done_by", "done_with"])
            record(
                "debrief.action_done",
                actor=by,
                obj=row,
                payload={"what": row.what, "template": str(newer) if newer else ""},
            )
        self.state, self.done_at, self.done_by, self.done_with = (
            row.state,
            row.done_at,
            row.done_by,
            row.done_with,
        )

    def runs_since(self):
        """Runbooks built from the version that carries the change, or a later one."""
        version = self.done_with or self.newer_version()
        if version is None:
            return Run.objects.none()
        return (
            Run.objects.filter(templates__slug=version.slug, templates__version__gte=version.version)
            .distinct()
            .order_by("-created_at")
        )
