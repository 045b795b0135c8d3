from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from audit import (
            people,  # noqa: F401  (changes to people, their roles and passwords are audited)
            signals,  # noqa: F401  (login, logout and failed logins are audited)
        )
        from audit.sqlite import define_function

        connection_created.connect(define_function, dispatch_uid="audit_sqlite_function")
