"""A repository's Settings tab (owner and staff only) and deleting a repository."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from hub import markdown, services
from hub.forms import RepositoryDeleteForm, RepositorySettingsForm
from hub.models import LIBRARY
from hub.views.common import repository_context, repository_for, repository_url

# Sent by static/js/readme_preview.js: answer with the rendered README alone, not the page.
PREVIEW_HEADER = "X-Wharf-Preview"


def _render(request, repository, settings_form, delete_form, preview=None):
    context = {
        **repository_context(request, repository, "settings"),
        "settings_form": settings_form,
        "delete_form": delete_form,
        "preview": preview,
    }
    return render(request, "hub/repository/settings.html", context)


def _preview(request, repository, form):
    """The README as it would be shown, nothing saved: rendered and sanitised exactly as the
    Overview tab does (hub.markdown). The editor's script gets the HTML alone; without script,
    the Preview button posts the form and gets the page back with the Preview tab open."""
    text = request.POST.get(form.add_prefix("full_description"), "")
    html = markdown.render(text)
    if request.headers.get(PREVIEW_HEADER):
        return HttpResponse(html, content_type="text/html; charset=utf-8")
    delete_form = RepositoryDeleteForm(full_name=repository.full_name)
    return _render(request, repository, form, delete_form, preview=html)


@require_http_methods(["GET", "POST"])
def settings_tab(request, namespace: str, name: str):
    repository = repository_for(request, namespace, name, admin=True)
    data = request.POST if request.method == "POST" else None
    form = RepositorySettingsForm.for_repository(repository, data)
    if request.method == "POST" and "preview" in request.POST:
        return _preview(request, repository, form)
    if request.method == "POST" and form.is_valid():
        try:
            services.repository_update(repository=repository, **form.repository_fields())
        except services.RepositoryError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, "Settings saved.")
            return redirect(repository_url(repository, "repository-settings"))
    delete_form = RepositoryDeleteForm(full_name=repository.full_name)
    return _render(request, repository, form, delete_form)


@require_POST
def delete(request, namespace: str, name: str):
    repository = repository_for(request, namespace, name, admin=True)
    delete_form = RepositoryDeleteForm(request.POST, full_name=repository.full_name)
    if not delete_form.is_valid():
        settings_form = RepositorySettingsForm.for_repository(repository)
        return _render(request, repository, settings_form, delete_form)
    full_name = repository.full_name
    services.repository_delete(repository=repository)
    messages.success(request, f"Deleted {full_name} with all its tags.")
    if repository.namespace.name == LIBRARY:
        return redirect("explore")
    return redirect(reverse("accounts:profile", kwargs={"username": repository.namespace.name}))
