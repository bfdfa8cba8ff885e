from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "hub"
    verbose_name = "Wharf hub"

    def ready(self) -> None:
        from hub.registry.fastpath import signals

        signals.connect()
