"""Settings of the audit log and of webhooks, read from the environment by their apps' own
modules (audit/conf.py, webhooks/conf.py), and the beat entries they need."""

from audit.conf import WHARF_AUDIT_RETENTION_DAYS
from webhooks.conf import (
    WHARF_WEBHOOK_ALLOW_PRIVATE,
    WHARF_WEBHOOK_DISABLE_AFTER_DAYS,
    WHARF_WEBHOOK_HISTORY_DAYS,
    WHARF_WEBHOOK_RETRY_DELAYS,
    WHARF_WEBHOOK_TIMEOUT_SECONDS,
)

__all__ = [
    "EVENTS_BEAT_SCHEDULE",
    "WHARF_AUDIT_RETENTION_DAYS",
    "WHARF_WEBHOOK_ALLOW_PRIVATE",
    "WHARF_WEBHOOK_DISABLE_AFTER_DAYS",
    "WHARF_WEBHOOK_HISTORY_DAYS",
    "WHARF_WEBHOOK_RETRY_DELAYS",
    "WHARF_WEBHOOK_TIMEOUT_SECONDS",
]

EVENTS_BEAT_SCHEDULE = {
    # Deliveries whose task was lost or whose retry waits longer than a broker may hold it, and
    # webhooks failing for days (turned off with a notice).
    "webhooks-sweep": {"task": "webhooks.tasks.deliveries_sweep", "schedule": 60},
    "webhooks-prune": {"task": "webhooks.tasks.deliveries_prune", "schedule": 3600},
}
if WHARF_AUDIT_RETENTION_DAYS:
    EVENTS_BEAT_SCHEDULE["audit-prune"] = {"task": "audit.tasks.audit_prune", "schedule": 3600}
