from django.apps import AppConfig
from django.db.backends.signals import connection_created

from audit.sqlite import define_function


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        # Signal receivers import the models, which only exist once the app registry is ready.
        from audit import (  # noqa: PLC0415  AppConfig.ready() wiring
            people,  # noqa: F401  (changes to people, their roles and passwords are audited)
            signals,  # noqa: F401  (login, logout and failed logins are audited)
        )

        connection_created.connect(define_function, dispatch_uid="audit_sqlite_function")
