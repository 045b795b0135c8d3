from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "maintenance"
    verbose_name = "Maintenance"

    def ready(self) -> None:
        # The worker's tasks are queued by receivers of the models' signals (window_approved, print_asked).
        from maintenance import tasks  # noqa: F401, PLC0415  AppConfig.ready() wiring
