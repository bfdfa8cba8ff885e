from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self):
        from audit import conf  # noqa: F401  (a bad WHARF_AUDIT_RETENTION_DAYS stops start-up)
