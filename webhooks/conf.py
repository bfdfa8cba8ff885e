"""The webhooks' settings, read by ``hub.settings`` (which imports each of them): every knob an
environment variable with an embedded default, as there.

The code reads them through ``setting()``, so a hub whose settings.py does not import them yet
(and tests, which override them with pytest-django's ``settings``) still gets a value.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from hub.env import env_bool, env_int, env_list

# Receivers at loopback and private addresses (this host's services, the internal network):
# refused by default, so webhooks cannot probe the network Wharf sits in. Link-local and cloud
# metadata addresses, multicast and unspecified ones are refused whatever this says.
WHARF_WEBHOOK_ALLOW_PRIVATE = env_bool("WHARF_WEBHOOK_ALLOW_PRIVATE", False)
# One attempt's limit, connecting and reading the answer included (seconds).
WHARF_WEBHOOK_TIMEOUT_SECONDS = env_int("WHARF_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=120)


def _delays(name: str, default: list[str]) -> list[int]:
    try:
        delays = [int(item) for item in env_list(name, default)]
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be comma-separated whole seconds (e.g. 60,300,1800,7200)"
        ) from None
    if len(delays) > 20 or any(d < 0 for d in delays):
        raise ImproperlyConfigured(f"{name} takes at most 20 delays, none below 0")
    return delays


# After a failed attempt, the next one waits this long (seconds): one retry per entry, then the
# delivery has failed. Empty: no retries.
WHARF_WEBHOOK_RETRY_DELAYS = _delays("WHARF_WEBHOOK_RETRY_DELAYS", ["60", "300", "1800", "7200"])
# A webhook whose every attempt failed for this many days is turned off, with a notice.
WHARF_WEBHOOK_DISABLE_AFTER_DAYS = env_int("WHARF_WEBHOOK_DISABLE_AFTER_DAYS", 3, minimum=1)
# Deliveries (and their attempts) older than this are removed by the worker's beat.
WHARF_WEBHOOK_HISTORY_DAYS = env_int("WHARF_WEBHOOK_HISTORY_DAYS", 30, minimum=1)

_DEFAULTS = {
    "WHARF_WEBHOOK_ALLOW_PRIVATE": WHARF_WEBHOOK_ALLOW_PRIVATE,
    "WHARF_WEBHOOK_TIMEOUT_SECONDS": WHARF_WEBHOOK_TIMEOUT_SECONDS,
    "WHARF_WEBHOOK_RETRY_DELAYS": WHARF_WEBHOOK_RETRY_DELAYS,
    "WHARF_WEBHOOK_DISABLE_AFTER_DAYS": WHARF_WEBHOOK_DISABLE_AFTER_DAYS,
    "WHARF_WEBHOOK_HISTORY_DAYS": WHARF_WEBHOOK_HISTORY_DAYS,
}


def setting(name: str):
    """The value Django's settings hold for ``name``, else this module's."""
    return getattr(settings, name, _DEFAULTS[name])
