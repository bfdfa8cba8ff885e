"""A repository's Tags tab (`docker images`), a tag's page (`docker history`/`inspect`), `rmi`."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from hub import services
from hub.forms import tag_ordering
from hub.selectors import repository_tags, tag_get, tag_platforms
from hub.views.common import repository_context, repository_for, repository_url


@require_safe
def tag_list(request, namespace: str, name: str):
    repository = repository_for(request, namespace, name)
    ordering = tag_ordering(request.GET.get("ordering"))
    context = {
        **repository_context(request, repository, "tags"),
        "tags": repository_tags(repository=repository, ordering=ordering),
        "ordering": ordering,
    }
    return render(request, "hub/repository/tags.html", context)


@require_safe
def tag_detail(request, namespace: str, name: str, tag: str):
    repository = repository_for(request, namespace, name)
    tag_obj = tag_get(repository=repository, name=tag)
    context = {
        **repository_context(request, repository, "tags"),
        "tag": tag_obj,
        "platforms": tag_platforms(tag=tag_obj),
    }
    return render(request, "hub/repository/tag.html", context)


@require_POST
def tag_delete(request, namespace: str, name: str, tag: str):
    repository = repository_for(request, namespace, name, write=True)
    tag_obj = tag_get(repository=repository, name=tag)
    services.tag_delete(repository=repository, name=tag_obj.name)
    messages.success(request, f"Deleted tag {tag_obj.name} of {repository.display_name}.")
    return redirect(repository_url(repository, "repository-tags"))
