"""Reads on repositories, with visibility applied: what a caller may see and nothing else."""

import json
from dataclasses import dataclass, field, replace

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    IntegerField,
    Prefetch,
    QuerySet,
    Value,
    When,
    prefetch_related_objects,
)
from django.http import Http404

from hub.history import history_rows
from hub.models import LIBRARY, Blob, Manifest, ManifestChild, Repository, Star, Tag
from hub.permissions import READ, repository_level
from hub.registry import mediatypes
from hub.registry.storage import get_store

# What a list row shows besides the repository: its namespace, and for a pull-through cache's
# repository the upstream its "Cached from" badge names (a join, not a query per row).
LISTED = ("namespace", "namespace__upstream")

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
    repos = Repository.objects.visible_to(user).select_related(*LISTED)
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
        Repository.objects.select_related("namespace__owner", "namespace__upstream")
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
    visible = Repository.objects.visible_to(user).select_related(*LISTED)
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
        .select_related(*LISTED)
        .order_by("-updated_at")
    )


def user_starred(*, user, viewer) -> QuerySet[Repository]:
    return (
        Repository.objects.visible_to(viewer)
        .with_access(viewer)
        .filter(stars__user=user)
        .select_related(*LISTED)
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


def _children_rows(content: bool):
    children = ManifestChild.objects.select_related("child").order_by("id")
    return children if content else children.defer("child__content")


def _children(*, content: bool = True) -> Prefetch:
    return Prefetch("manifest__children", queryset=_children_rows(content))


def _tags(repository: Repository, ordering: str, name: str) -> QuerySet[Tag]:
    tags = Tag.objects.filter(repository=repository)
    if name:
        tags = tags.filter(name__icontains=name)
    return tags.order_by(*TAG_ORDERINGS.get(ordering, TAG_ORDERINGS["-updated"]))


def repository_tags(
    *, repository: Repository, ordering: str = "-updated", name: str = ""
) -> QuerySet[Tag]:
    """Tags (whose name holds ``name``, if given) with their manifest and, for indexes, each
    platform's manifest (no N+1)."""
    return (
        _tags(repository, ordering, name).select_related("manifest").prefetch_related(_children())
    )


def repository_tags_page(
    *,
    repository: Repository,
    ordering: str = "-updated",
    name: str = "",
    page: str | int | None = None,
    per_page: int = 25,
) -> Page:
    """One page of ``repository_tags`` (the nearest real page to ``page``), in at most three
    queries whatever the repository holds: how many match, the page's tags with their
    manifests, and the platforms of its indexes (none when the page has no index).

    The page's tags are picked on the tag table alone, and only they are joined to their
    manifests: asked for the join and the LIMIT at once, PostgreSQL joins all of a
    repository's tags first and sorts after (15–20 ms at 5,000 tags, 2 ms this way). Manifest
    bytes stay in the database: a list shows none.
    """
    order = TAG_ORDERINGS.get(ordering, TAG_ORDERINGS["-updated"])
    pages = Paginator(_tags(repository, ordering, name).values_list("pk", flat=True), per_page)
    chosen = pages.get_page(page)
    tags = list(
        Tag.objects.filter(pk__in=chosen.object_list)
        .select_related("manifest")
        .defer("manifest__content")
        .order_by(*order)
    )
    # Platforms only for the page's indexes: a page of single-platform images needs no query.
    indexes = [tag.manifest for tag in tags if tag.manifest.media_type in mediatypes.INDEX_TYPES]
    prefetch_related_objects(indexes, Prefetch("children", queryset=_children_rows(False)))
    chosen.object_list = tags
    return chosen


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
    base: str = ""  # the image the build started FROM, where the builder recorded it
    key: str = ""  # what ?platform= names it by: its label, or its digest if labels repeat

    @property
    def label(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p) or "unknown"

    @property
    def digest(self) -> str:
        return self.manifest.digest

    @property
    def size(self) -> int:
        """This platform's compressed size (config and layers): never a sum over platforms."""
        return self.manifest.total_size


def tag_platforms(*, tag: Tag) -> list[Platform]:
    """Each platform of the tag, without reading any blob: one for an image, one per entry for
    an index (from the prefetched children when the tag came from ``repository_tags``).

    BuildKit's attestation entries (``unknown/unknown``) are no platform anyone can pull, and
    are left out as Docker Hub leaves them out.
    """
    manifest = tag.manifest
    if manifest.media_type not in mediatypes.INDEX_TYPES:
        platforms = [Platform(manifest, manifest.os, manifest.architecture, manifest.variant)]
    else:
        platforms = [
            Platform(
                c.child,
                c.os or c.child.os,
                c.architecture or c.child.architecture,
                c.variant or c.child.variant,
            )
            for c in manifest.children.all()
            if not (c.os == "unknown" and c.architecture == "unknown")
        ]
    labels = [platform.label for platform in platforms]
    for platform in platforms:
        platform.key = platform.label if labels.count(platform.label) == 1 else platform.digest
    return platforms


def platform_choose(platforms: list[Platform], wanted: str = "") -> Platform | None:
    """The platform ``wanted`` names (os/arch[/variant] or its digest); else linux/amd64, as
    Docker Hub opens a multi-arch tag; else the first."""
    for key in (wanted, "linux/amd64"):
        for platform in platforms:
            if key and key in (platform.key, platform.label, platform.digest):
                return platform
    return platforms[0] if platforms else None


def platform_details(*, platform: Platform) -> Platform:
    """The platform with its layers (sizes as `docker history` shows them) and image config,
    read from the config blob: one platform at a time, so a tag page reads one blob."""
    try:
        doc = json.loads(bytes(platform.manifest.content))
    except ValueError:
        return platform
    if not isinstance(doc, dict):
        return platform
    layers = doc.get("layers", [])
    layers = (
        [layer for layer in layers if isinstance(layer, dict)] if isinstance(layers, list) else []
    )
    config = {}
    config_desc = doc.get("config", {})
    if (
        isinstance(config_desc, dict)
        and config_desc.get("mediaType") in mediatypes.IMAGE_CONFIG_TYPES
    ):
        try:
            config = json.loads(get_store().read(config_desc["digest"]))
        except (OSError, ValueError, KeyError, RecursionError):  # a config nested too deep
            config = {}
    if not isinstance(config, dict):
        config = {}
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

    rows, base = history_rows(config.get("history", []), layers, sizes)
    comment = str(config.get("comment", ""))
    if not comment and rows:
        # `docker commit -m` records its message only in the last history entry; `docker
        # inspect` shows that one as the image's Comment, and so do we.
        comment = rows[-1]["comment"]
    return replace(
        platform,
        layers=rows,
        config=config.get("config") or {},
        created=str(config.get("created", "")),
        author=str(config.get("author", "")),
        comment=comment,
        base=base,
    )


def tag_get(*, repository: Repository, name: str) -> Tag:
    tag = (
        Tag.objects.select_related("manifest")
        .prefetch_related(_children())
        .filter(repository=repository, name=name)
        .first()
    )
    if tag is None:
        raise Http404("No such tag")
    return tag
