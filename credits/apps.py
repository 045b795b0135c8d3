from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "credits"
    verbose_name = "SLA plans and credits"

    def ready(self) -> None:
        # Imported once the models are loaded (Django's own pattern for ready()); both pages are below us.
        from credits.views import incident_panel, window_panel  # noqa: PLC0415  (ready() wiring)
        from incidents.panels import register_incident_panel  # noqa: PLC0415  (ready() wiring)
        from maintenance.panels import register_window_panel  # noqa: PLC0415  (ready() wiring)

        register_window_panel(window_panel, place=30)
        register_incident_panel(incident_panel, place=20)
