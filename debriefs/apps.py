from django.apps import AppConfig


class DebriefsConfig(AppConfig):
    name = "debriefs"
    verbose_name = "Debriefs and reports"

    def ready(self) -> None:
        # Imported once the models are loaded (Django's own pattern for ready()); the pages are below us.
        from debriefs.models import Report  # noqa: PLC0415  (ready() wiring)
        from debriefs.views import incident_panel, window_panel  # noqa: PLC0415  (ready() wiring)
        from incidents.panels import register_incident_panel  # noqa: PLC0415  (ready() wiring)
        from incidents.status import register_reports  # noqa: PLC0415  (ready() wiring)
        from maintenance.panels import register_window_panel  # noqa: PLC0415  (ready() wiring)

        register_window_panel(window_panel, place=20)
        register_incident_panel(incident_panel, place=10)
        register_reports(Report.shown_on_status)
