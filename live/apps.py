from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = "Live device checks"

    def ready(self) -> None:
        # Imported once the models are loaded: the panel reads them, and inventory is below us.
        from inventory.panels import register_device_panel  # noqa: PLC0415  AppConfig.ready wiring
        from live.panels import device_panel  # noqa: PLC0415  AppConfig.ready wiring

        register_device_panel(device_panel)
