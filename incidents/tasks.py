"""The silence watch: every public update queues a check, due when the silence would become too long. If no
newer update came and the incident is still open when it runs, the coordinators are told."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import task

from accounts.roles import Role
from audit.log import record
from incidents.models import Incident, said
from lockstep.failures import mail_failure

logger = logging.getLogger(__name__)


@task()
def check_incident_silence(incident_id: int, last_update: str) -> str:
    """Queued with every public update, due when the silence would become too long: if no newer update came
    and the incident is still open, the coordinators are told (by mail, and on their desk), and the check is
    queued again for the next period."""
    incident = Incident.objects.select_related("site").filter(pk=incident_id).first()
    if incident is None or not incident.is_open:
        return "closed"
    if incident.last_update_at > datetime.fromisoformat(last_update):
        return "updated since"
    if not incident.stale():
        return "not silent long enough"
    minutes = int((timezone.now() - incident.last_update_at).total_seconds() // 60)
    coordinators = list(
        get_user_model()
        .objects.filter(groups__name=Role.COORDINATOR.value, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    failed = ""
    if coordinators:
        try:
            send_mail(
                subject=f"{incident.reference}: no public update for {minutes} minutes",
                message=(
                    f"{incident.reference} ({incident.title}, {incident.site.name}) is "
                    f"{incident.get_state_display().lower()} and customers have heard nothing for {minutes} "
                    "minutes. Post an update, even to say the work goes on."
                ),
                from_email=None,
                recipient_list=coordinators,
            )
        except Exception as problem:  # the desk still shows it, and the next check tries the mail again
            # The mail server's words can quote the login or its banner: they go to the log only.
            logger.exception("the silence alert for incident %s was not mailed", incident.pk)
            failed = mail_failure(problem)
    record(
        "incident.silence_alert",
        obj=incident,
        payload={"minutes": minutes, "told": [] if failed else coordinators, "mail_failed": failed},
    )
    check_incident_silence.using(
        run_after=timezone.now() + timedelta(minutes=settings.LOCKSTEP_INCIDENT_STALE_MINUTES)
    ).enqueue(incident.pk, last_update)
    return "alerted"


@receiver(said, dispatch_uid="incidents_silence_watch")
def watch_silence(sender, incident: Incident, **kwargs) -> None:
    """Connected in IncidentsConfig.ready: each update (inside its transaction) queues the next check."""
    check_incident_silence.using(
        run_after=timezone.now() + timedelta(minutes=settings.LOCKSTEP_INCIDENT_STALE_MINUTES)
    ).enqueue(incident.pk, incident.last_update_at.isoformat())
