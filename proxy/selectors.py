"""Reads of upstream registries. ``upstream_for_namespace`` and ``mirror_upstream`` run on
registry requests: one query each, the namespace joined in."""

from django.db.models import Count, QuerySet

from proxy.models import Upstream


def _upstreams() -> QuerySet[Upstream]:
    return Upstream.objects.select_related("namespace")


def upstream_for_namespace(namespace_name: str) -> Upstream | None:
    """The upstream whose proxy namespace is ``namespace_name``, or None."""
    return _upstreams().filter(namespace__name=namespace_name).first()


def mirror_upstream() -> Upstream | None:
    """The default mirror (``/v2/library/…`` and unknown top-level names), or None."""
    return _upstreams().filter(is_mirror=True).first()


def upstream_get(name: str) -> Upstream | None:
    """The upstream named ``name`` (its API and page key), or None."""
    return _upstreams().filter(name=name).first()


def upstreams_list(*, with_counts: bool = False) -> QuerySet[Upstream]:
    """Every upstream by name; ``with_counts`` adds ``repository_count``, the repositories
    cached in its namespace (the staff page's column), in the same query."""
    upstreams = _upstreams().order_by("name")
    if with_counts:
        upstreams = upstreams.annotate(repository_count=Count("namespace__repositories"))
    return upstreams
