from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents and status pages"

    def ready(self) -> None:
        # Imported once the models are loaded (Django's own pattern for ready()); maintenance is below us.
        from incidents import tasks  # noqa: F401, PLC0415  (the silence watch listens to every update)
        from incidents.views import declare_panel  # noqa: PLC0415  (ready() wiring)
        from maintenance.panels import register_window_panel  # noqa: PLC0415  (ready() wiring)

        register_window_panel(declare_panel, place=10)
