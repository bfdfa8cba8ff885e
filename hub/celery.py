"""The Celery app shared by the web process (which enqueues) and the workers (which run)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")

app = Celery("wharf")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Imported for their signal handlers: workers announce themselves in Redis for /healthz, and
# clean up after builds when they start and stop.
from builds import worker  # noqa: E402, F401
from hub import heartbeat  # noqa: E402, F401
