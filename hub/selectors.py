"""Reads on repositories, with visibility applied: what a caller may see and nothing else."""

import json
from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.http import Http404

from hub.models import LIBRARY, Blob, Manifest, ManifestChild, Repository, Star, Tag
from hub.permissions import READ, repository_level
from hub.registry import mediatypes
from hub.registry.storage import get_store

SEARCH_ORDERINGS = {
    "best": None,  # relevance, then stars and pulls
    "stars": ["-star_count", "-pull_count", "namespace__name", "name"],
    "pulls": ["-pull_count", "-star_count", "namespace__name", "name"],
    "updated": ["-updated_at", "namespace__name", "name"],
}


def repository_search(
    *,
    user,
    query: str,
    official: bool | None = None,
    automated: bool | None = None,
    ordering: str = "best",
) -> QuerySet[Repository]:
    """Repositories visible to ``user`` whose name or description holds every word of ``query``.

    ``ns/name`` words match across the slash. Best match ranks an exact name first, then names
    starting with the query, then names containing it, then description matches.
    """
    repos = Repository.objects.visible_to(user).select_related("namespace")
    words = query.lower().split()[:10]
    for word in words:
        repos = repos.filter(search_text__contains=word)
    if official is not None:
        repos = (
            repos.filter(namespace__name=LIBRARY)
            if official
            else repos.exclude(namespace__name=LIBRARY)
        )
    if automated is not None:
        repos = repos.filter(is_automated=automated)
    order = SEARCH_ORDERINGS.get(ordering) or SEARCH_ORDERINGS["stars"]
    if ordering == "best" and words:
        term = " ".join(words)
        short = term.rpartition("/")[2]
        rank = Case(
            When(name=short, then=Value(0)),
            When(name__startswith=short, then=Value(1)),
            When(name__contains=short, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
        return repos.annotate(rank=rank).order_by("rank", *order)
    return repos.order_by(*order)


def repository_get_visible(*, user, namespace: str, name: str) -> Repository:
    """The repository if ``user`` (or an Actor) may see it, what they may do to it remembered on
    the row for ``hub.permissions.repository_access``; otherwise 404, exactly as if it did not
    exist."""
    repo = (
        Repository.objects.select_related("namespace", "namespace__owner")
        .filter(namespace__name=namespace, name=name)
        .first()
    )
    if repo is None or repository_level(user, repo) < READ:
        raise Http404("No such repository")
    return repo


def repository_has_starred(*, user, repository: Repository) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return Star.objects.filter(user=user, repository=repository).exists()


def explore_sections(*, user, limit: int = 8) -> dict[str, list[Repository]]:
    visible = Repository.objects.visible_to(user).select_related("namespace")
    return {
        "official": list(visible.official().order_by("-pull_count", "name")[:limit]),
        "starred": list(visible.filter(star_count__gt=0).order_by("-star_count", "name")[:limit]),
        "pulled": list(visible.filter(pull_count__gt=0).order_by("-pull_count", "name")[:limit]),
        "recent": list(visible.order_by("-updated_at")[:limit]),
    }


def user_repositories(*, owner, viewer) -> QuerySet[Repository]:
    """A user's (or, given a Namespace, an organization's) repositories ``viewer`` may see."""
    where = {"namespace": owner} if hasattr(owner, "kind") else {"namespace__owner": owner}
    return (
        Repository.objects.visible_to(viewer)
        .with_access(viewer)
        .filter(**where)
        .select_related("namespace")
        .order_by("-updated_at")
    )


def user_starred(*, user, viewer) -> QuerySet[Repository]:
    return (
        Repository.objects.visible_to(viewer)
        .with_access(viewer)
        .filter(stars__user=user)
        .select_related("namespace")
        .order_by("-stars__created_at")
    )


TAG_ORDERINGS = {
    "name": ["name"],
    "-name": ["-name"],
    "updated": ["updated_at", "name"],
    "-updated": ["-updated_at", "name"],
    "size": ["manifest__total_size", "name"],
    "-size": ["-manifest__total_size", "name"],
}


def repository_tags(*, repository: Repository, ordering: str = "-updated") -> QuerySet[Tag]:
    """Tags with their manifest and, for indexes, each platform's manifest (no N+1)."""
    children = Prefetch(
        "manifest__children",
        queryset=ManifestChild.objects.select_related("child").order_by("id"),
    )
    return (
        Tag.objects.filter(repository=repository)
        .select_related("manifest")
        .prefetch_related(children)
        .order_by(*TAG_ORDERINGS.get(ordering, TAG_ORDERINGS["-updated"]))
    )


@dataclass
class Platform:
    """One platform's image, as `docker history` and `docker inspect` show it."""

    manifest: Manifest
    os: str = ""
    architecture: str = ""
    variant: str = ""
    layers: list[dict] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    created: str = ""
    author: str = ""
    comment: str = ""

    @property
    def label(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p) or "unknown"


def _platform(manifest: Manifest, os_: str = "", arch: str = "", variant: str = "") -> Platform:
    platform = Platform(
        manifest, os_ or manifest.os, arch or manifest.architecture, variant or manifest.variant
    )
    try:
        doc = json.loads(bytes(manifest.content))
    except ValueError:
        return platform
    layers = doc.get("layers", []) if isinstance(doc, dict) else []
    config = {}
    config_desc = doc.get("config", {}) if isinstance(doc, dict) else {}
    if config_desc.get("mediaType") in mediatypes.IMAGE_CONFIG_TYPES:
        try:
            config = json.loads(get_store().read(config_desc["digest"]))
        except (OSError, ValueError, KeyError, RecursionError):  # a config nested too deep
            config = {}
    history = config.get("history", []) if isinstance(config, dict) else []
    layers = (
        [layer for layer in layers if isinstance(layer, dict)] if isinstance(layers, list) else []
    )
    # What `docker history` shows of a layer is its unpacked size, measured after the push
    # (hub/tasks.py::layers_measure); until then the page has the compressed one to show.
    unpacked = dict(
        Blob.objects.filter(
            digest__in=[str(layer.get("digest", "")) for layer in layers],
            unpacked_size__isnull=False,
        ).values_list("digest", "unpacked_size")
    )

    def sizes(layer) -> dict:
        compressed = layer.get("size") if isinstance(layer.get("size"), int) else None
        measured = unpacked.get(layer.get("digest"))
        return {
            "size": measured if measured is not None else compressed,
            "compressed_size": compressed,
            "measured": measured is not None,
        }

    # Pair history entries with layers: empty_layer entries made no layer (ENV, CMD, EXPOSE…).
    rows, layer_iter = [], iter(layers)
    for entry in history if isinstance(history, list) else []:
        if not isinstance(entry, dict):
            continue
        empty = bool(entry.get("empty_layer"))
        layer = None if empty else next(layer_iter, None)
        rows.append(
            {
                "instruction": str(entry.get("created_by", "")),
                "comment": str(entry.get("comment", "")),
                "created": str(entry.get("created", "")),
                "empty": empty,
                **(sizes(layer) if layer else {"size": 0, "compressed_size": 0, "measured": True}),
                "digest": layer.get("digest") if layer else "",
            }
        )
    rows.extend(
        {
            "instruction": "",
            "comment": "",
            "created": "",
            "empty": False,
            **sizes(layer),
            "digest": layer.get("digest", ""),
        }
        for layer in layer_iter
    )
    platform.layers = rows
    platform.config = config.get("config") or {} if isinstance(config, dict) else {}
    platform.created = str(config.get("created", "")) if isinstance(config, dict) else ""
    platform.author = str(config.get("author", "")) if isinstance(config, dict) else ""
    platform.comment = str(config.get("comment", "")) if isinstance(config, dict) else ""
    if not platform.comment and rows:
        # `docker commit -m` records its message only in the last history entry; `docker
        # inspect` shows that one as the image's Comment, and so do we.
        platform.comment = rows[-1]["comment"]
    return platform


def tag_platforms(*, tag: Tag) -> list[Platform]:
    """Each platform of the tag: one for an image, one per entry for an index."""
    manifest = tag.manifest
    if manifest.media_type not in mediatypes.INDEX_TYPES:
        return [_platform(manifest)]
    children = ManifestChild.objects.filter(parent=manifest).select_related("child").order_by("id")
    return [_platform(c.child, c.os, c.architecture, c.variant) for c in children]


def tag_get(*, repository: Repository, name: str) -> Tag:
    tag = Tag.objects.select_related("manifest").filter(repository=repository, name=name).first()
    if tag is None:
        raise Http404("No such tag")
    return tag
