"""A repository's Overview and Builds tabs, starring, and creating a repository."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from builds.views import builds_tab
from hub import services
from hub.forms import RepositoryCreateForm
from hub.views.common import repository_context, repository_for, repository_url, safe_next


@require_safe
def overview(request, namespace: str, name: str):
    repository = repository_for(request, namespace, name)
    return render(
        request, "hub/repository/overview.html", repository_context(request, repository, "overview")
    )


@require_safe
def builds(request, namespace: str, name: str):
    # The tab lives with the other build pages (builds/views.py); its route stays with the tabs.
    return builds_tab(request, namespace, name)


def _star_change(request, namespace: str, name: str, *, add: bool):
    # Visibility first: a private repository someone may not see is a 404 for everyone,
    # signed in or not, before anything else is said about it.
    repository = repository_for(request, namespace, name)
    back = safe_next(request, repository_url(repository))
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    if add:
        services.star_add(user=request.user, repository=repository)
    else:
        services.star_remove(user=request.user, repository=repository)
    return redirect(back)


@require_POST
def star(request, namespace: str, name: str):
    return _star_change(request, namespace, name, add=True)


@require_POST
def unstar(request, namespace: str, name: str):
    return _star_change(request, namespace, name, add=False)


@login_required
@require_http_methods(["GET", "POST"])
def create(request):
    namespaces = services.repository_namespaces_for(user=request.user)
    # "New repository" on an organization's page comes with ?namespace=<org>.
    wanted = request.GET.get("namespace")
    initial = {"namespace": wanted} if wanted in namespaces else {}
    form = RepositoryCreateForm(request.POST or None, namespaces=namespaces, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            repository = services.repository_create(
                user=request.user,
                namespace=form.cleaned_data["namespace"],
                name=form.cleaned_data["name"],
                **form.repository_fields(),
            )
        except services.RepositoryError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"Created {repository.display_name}. Push to it any time.")
            return redirect(repository_url(repository))
    return render(request, "hub/repository/new.html", {"form": form})
