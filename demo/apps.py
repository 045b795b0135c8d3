from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo site (`manage.py load_demo`): it builds a little of everything, so it sits above every app."""

    name = "demo"
    verbose_name = "Demo data"
