from django.apps import AppConfig


class BuildsConfig(AppConfig):
    """Automated builds: build rules, the Celery pipeline, builder backends, log streaming."""

    name = "builds"
    verbose_name = "Automated builds"
