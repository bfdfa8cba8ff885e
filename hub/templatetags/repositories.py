"""Template helpers for repository pages: URLs, numbers, digests, Markdown, history lines."""

import json

from django import template
from django.utils.dateparse import parse_datetime

from hub import history, markdown
from hub.views.common import repository_url

register = template.Library()


@register.simple_tag
def repo_url(repository, view: str = "repository", **kwargs) -> str:
    """{% repo_url repository "repository-tags" %}: official ones get their /_/name/ URL."""
    return repository_url(repository, view, **kwargs)


@register.filter
def render_markdown(text: str):
    """The full description as sanitised HTML (hub.markdown): the one place |safe is right."""
    return markdown.render(text or "")


@register.filter
def short_digest(digest: str) -> str:
    """sha256:0123456789ab…: what people compare at a glance, as `docker images` shows."""
    algorithm, _, hexpart = (digest or "").partition(":")
    return f"{algorithm}:{hexpart[:12]}" if hexpart else digest or ""


@register.filter
def compact(number) -> str:
    """1234 → 1.2K, 5600000 → 5.6M: counts that fit a narrow column."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        return ""
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if number >= size:
            value = f"{number / size:.1f}".removesuffix(".0")
            return f"{value}{suffix}"
    return str(number)


SIZE_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


@register.filter
def layer_size(size) -> str:
    """A size as the docker CLI prints one (go-units ``HumanSizeWithPrecision(size, 3)``):
    decimal units, three significant digits: 224 B, 1.23 MB, 0 B for nothing.

    One difference: where rounding makes 1000 of a unit (999,999 bytes), docker prints
    "1e+03kB"; this says 1 MB.
    """
    try:
        value = float(size or 0)
    except (TypeError, ValueError):
        value = 0.0
    unit = 0
    while unit < len(SIZE_UNITS) - 1 and (value >= 1000 or float(f"{value:.3g}") >= 1000):
        value /= 1000
        unit += 1
    return f"{value:.3g} {SIZE_UNITS[unit]}"


@register.filter
def instruction(created_by: str) -> str:
    """A history line as people wrote it: `/bin/sh -c #(nop) CMD ["sh"]` → `CMD ["sh"]`."""
    return history.instruction(created_by)


@register.filter
def platform_labels(manifest) -> list[str]:
    """os/arch[/variant] of every platform a manifest serves (an index's children, prefetched)."""
    if manifest.is_index:
        entries = [(c.os, c.architecture, c.variant) for c in manifest.children.all()]
    else:
        entries = [(manifest.os, manifest.architecture, manifest.variant)]
    return ["/".join(p for p in entry if p) for entry in entries if any(entry)]


@register.filter
def env_pairs(env) -> list[tuple[str, str]]:
    """Config Env (["KEY=value", …]) as (key, value) pairs."""
    if not isinstance(env, list):
        return []
    return [tuple(str(item).partition("=")[::2]) for item in env]


@register.filter
def command_line(value) -> str:
    """Entrypoint/Cmd as a JSON-ish list, the exec form people write in a Dockerfile."""
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return str(value or "")


@register.filter
def items_sorted(mapping) -> list:
    if not isinstance(mapping, dict):
        return []
    return sorted(mapping.items())


@register.filter
def parse_time(value: str):
    """An image config's RFC 3339 timestamp as a datetime (None when absent or malformed)."""
    try:
        return parse_datetime(value or "")
    except ValueError:
        return None
