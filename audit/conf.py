"""The audit log's settings, read from the environment when Django starts (``hub/settings.py``
imports them, as it does ``hub/settings_builds.py``'s; ``audit.apps`` reads this module at
start-up too, so a bad value stops the process with a message)."""

from hub.env import env_int

# Days an audit event is kept; the worker's beat deletes older ones (audit.tasks.audit_prune).
# 0 keeps them forever.
WHARF_AUDIT_RETENTION_DAYS = env_int("WHARF_AUDIT_RETENTION_DAYS", 90, minimum=0)


def retention_days() -> int:
    """The retention in force: the setting (tests change it), else the environment's."""
    from django.conf import settings

    return getattr(settings, "WHARF_AUDIT_RETENTION_DAYS", WHARF_AUDIT_RETENTION_DAYS)
