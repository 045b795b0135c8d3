from django.apps import AppConfig


class ChecklistsConfig(AppConfig):
    name = "checklists"
    verbose_name = "Checklists"

    def ready(self) -> None:
        # Imported once the models are loaded (Django's own pattern for ready()); inventory is below us.
        from checklists.label_audit_views import rack_panel, site_panel  # noqa: PLC0415  AppConfig.ready wiring
        from inventory.panels import register_rack_panel, register_site_panel  # noqa: PLC0415  AppConfig.ready wiring

        register_rack_panel(rack_panel)
        register_site_panel(site_panel)
