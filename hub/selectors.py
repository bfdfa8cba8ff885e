"""Reads on repositories, with visibility applied: what a caller may see and nothing else."""

from django.db.models import Q, QuerySet

from hub.models import Repository


def repository_search(*, user, query: str) -> QuerySet[Repository]:
    """Repositories visible to ``user`` matching every word of ``query`` in name or description.

    ``ns/name`` terms match across the slash, so ``alice/web`` finds alice's web repository.
    """
    repos = Repository.objects.visible_to(user).select_related("namespace")
    for word in query.split()[:10]:
        ns, slash, name = word.partition("/")
        if slash:
            repos = repos.filter(namespace__name__icontains=ns, name__icontains=name)
        else:
            repos = repos.filter(
                Q(name__icontains=word) | Q(namespace__name__icontains=word)
                | Q(description__icontains=word)
            )  # fmt: skip
    return repos.order_by("-star_count", "-pull_count", "namespace__name", "name")
