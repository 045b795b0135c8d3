from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"

    def ready(self) -> None:
        from inventory import revisions  # noqa: F401, PLC0415  signal wiring: keeps each site's inventory revision current
