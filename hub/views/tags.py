"""A repository's Tags tab (`docker images`), a tag's page (`docker history`/`inspect`), `rmi`."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from hub import services
from hub.selectors import (
    platform_choose,
    platform_details,
    repository_tags_page,
    tag_get,
    tag_platforms,
)
from hub.views.common import repository_context, repository_for, repository_url, safe_next

# As the API pages its tag list (hub/api/pagination.py).
TAGS_PER_PAGE = 25
# What the Tags tab sorts by. Not size: a multi-arch tag has one size per platform, none of
# which orders it better than another (the API's full_size ordering stays as Docker Hub has it).
TAG_SORTS = {
    "-updated": "Newest",
    "updated": "Oldest",
    "name": "Name (A–Z)",
    "-name": "Name (Z–A)",
}


@require_safe
def tag_list(request, namespace: str, name: str):
    repository = repository_for(request, namespace, name)
    ordering = request.GET.get("ordering")
    ordering = ordering if ordering in TAG_SORTS else "-updated"
    name_filter = request.GET.get("name", "").strip()[:128]
    page = repository_tags_page(
        repository=repository,
        ordering=ordering,
        name=name_filter,
        page=request.GET.get("page"),
        per_page=TAGS_PER_PAGE,
    )
    for tag in page.object_list:
        tag.platforms = tag_platforms(tag=tag)
    context = {
        **repository_context(request, repository, "tags"),
        "page": page,
        "tags": page.object_list,
        "tags_url": repository_url(repository, "repository-tags"),
        "ordering": ordering,
        "sorts": TAG_SORTS.items(),
        "name_filter": name_filter,
    }
    return render(request, "hub/repository/tags.html", context)


@require_safe
def tag_detail(request, namespace: str, name: str, tag: str):
    repository = repository_for(request, namespace, name)
    tag_obj = tag_get(repository=repository, name=tag)
    platforms = tag_platforms(tag=tag_obj)
    chosen = platform_choose(platforms, request.GET.get("platform", ""))
    context = {
        **repository_context(request, repository, "tags"),
        "tag": tag_obj,
        "platforms": platforms,
        "is_index": tag_obj.manifest.is_index,
        "platform": platform_details(platform=chosen) if chosen else None,
    }
    return render(request, "hub/repository/tag.html", context)


@require_POST
def tag_delete(request, namespace: str, name: str, tag: str):
    repository = repository_for(request, namespace, name, write=True)
    tag_obj = tag_get(repository=repository, name=tag)
    services.tag_delete(repository=repository, name=tag_obj.name)
    messages.success(request, f"Deleted tag {tag_obj.name} of {repository.display_name}.")
    # Back to the page of the list it was deleted from (its filter, order and page).
    return redirect(safe_next(request, repository_url(repository, "repository-tags")))
