"""Build pages: the Builds tab (history, Build now, build settings) and a build's own page.

Whoever may see the repository sees its builds and logs; only those who may push it trigger,
cancel and edit the settings. Everything else is a 404, the same as a missing repository.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from builds import services, validation
from builds.forms import BuildNowForm, RuleForm, SecretForm, SourceForm, add_service_errors
from builds.models import Build, BuildLogLine, BuildRule, BuildSecret
from hub.models import Repository
from hub.permissions import repository_access
from hub.views.common import repository_context, repository_for, repository_url

BUILDS_PER_PAGE = 25
# The page shows this many lines of a build's log at most; the raw log has them all.
PAGE_LINES = 5000


def _repository(
    request, namespace: str, name: str, *, write: bool = False, admin: bool = False
) -> Repository:
    """The repository if the viewer may see it and, with ``write``, trigger builds of it or,
    with ``admin``, configure them (what is built and with which secrets); 404 otherwise."""
    repository = repository_for(request, namespace, name)
    access = repository_access(request.user, repository)
    if (write and not access.write) or (admin and not access.admin):
        raise Http404("No such repository")
    return repository


def _build(repository: Repository, build_id: int) -> Build:
    queryset = Build.objects.select_related("triggered_by", "rule")
    return get_object_or_404(queryset, pk=build_id, repository=repository)


# --- small writes on build settings: builds.services has none for these two yet (the API
# carries the same two under the same names); they belong there, shared by both ---


# --- the Builds tab ---


def _history(request, repository: Repository) -> dict:
    history = Build.objects.filter(repository=repository).select_related("triggered_by")
    page = Paginator(history, BUILDS_PER_PAGE).get_page(request.GET.get("page"))
    return {"page": page, "builds": page.object_list}


def _source_form(row, data=None) -> SourceForm:
    initial = {"source_url": row.source_url, "git_username": row.git_username}
    return SourceForm(data, initial=initial, has_token=row.has_git_token)


def render_tab(
    request,
    repository: Repository,
    *,
    run_form=None,
    source_form=None,
    rule_form=None,
    secret_form=None,
):
    context = repository_context(request, repository, "builds")
    context.update(_history(request, repository))
    if context["perms"].write:  # who may trigger builds: "Build now" with the active rules
        rules = list(BuildRule.objects.filter(repository=repository))
        settings_row = services.build_settings_for(repository=repository)
        context["run_form"] = run_form or BuildNowForm(rules=[r for r in rules if r.active])
        context["build_settings"] = settings_row  # "Build now" asks whether a source is set
    if context["perms"].admin:  # who may configure them: source, rules, secrets, trigger URL
        trigger_path = reverse("api:build-trigger", args=[settings_row.trigger_uuid])
        context.update(
            build_settings=settings_row,
            rules=rules,
            secrets=list(BuildSecret.objects.filter(repository=repository)),
            trigger_url=request.build_absolute_uri(trigger_path),
            source_form=source_form or _source_form(settings_row),
            rule_form=rule_form or RuleForm(),
            secret_form=secret_form or SecretForm(),
        )
    return render(request, "hub/repository/builds.html", context)


def builds_tab(request, namespace: str, name: str):
    repository = _repository(request, namespace, name)
    if request.GET.get("fragment") == "history":
        # The history table alone: the tab fetches it again when a build changes state.
        context = {"repository": repository, **_history(request, repository)}
        context["perms"] = repository_access(request.user, repository)
        response = render(request, "builds/history.html", context)
        response["Cache-Control"] = "no-store"
        return response
    return render_tab(request, repository)


def _tab_url(repository: Repository, anchor: str = "") -> str:
    return repository_url(repository, "repository-builds") + (f"#{anchor}" if anchor else "")


@require_POST
def build_run(request, namespace: str, name: str):
    repository = _repository(request, namespace, name, write=True)
    rules = BuildRule.objects.filter(repository=repository, active=True)
    form = BuildNowForm(request.POST, rules=rules)
    builds = []
    if form.is_valid():
        try:
            rule, source_type, ref = form.request()
            try:
                validation.validate_ref(ref)
            except ValidationError as error:
                raise ValidationError({"ref": error.messages}) from None
            if rule is not None and services.rule_match(rule, source_type, ref) is None:
                raise ValidationError({"ref": f"“{ref}” does not match {rule.source}."})
            builds = services.builds_for_ref(
                repository=repository, source_type=source_type, ref=ref, user=request.user
            )
            if not builds:
                raise ValidationError({"ref": f"No active rule builds the {source_type} “{ref}”."})
        except ValidationError as error:
            add_service_errors(form, error, rename={"source_ref": "ref"})
    if not builds:
        return render_tab(request, repository, run_form=form)
    if message := services.queue_failure(builds):
        form.add_error(None, message)
        response = render_tab(request, repository, run_form=form)
        response.status_code = 503
        return response
    numbers = ", ".join(f"#{build.pk}" for build in builds)
    # static/js/buildlog.js removes this very text once the build it names has ended.
    messages.success(request, f"Queued build {numbers}.")
    if len(builds) == 1:
        return redirect(repository_url(repository, "build-detail", build_id=builds[0].pk))
    return redirect(_tab_url(repository))


@require_POST
def source_save(request, namespace: str, name: str):
    repository = _repository(request, namespace, name, admin=True)
    form = _source_form(services.build_settings_for(repository=repository), request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                try:
                    services.settings_source_update(
                        repository=repository,
                        source_url=form.cleaned_data["source_url"],
                        by=request.user,
                    )
                except ValidationError as error:
                    raise ValidationError({"source_url": error.messages}) from None
                if (login := form.credentials()) is not None:
                    username, token = login
                    services.settings_credentials_update(
                        repository=repository, username=username, token=token, by=request.user
                    )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Git source saved.")
            return redirect(_tab_url(repository, "build-settings"))
    return render_tab(request, repository, source_form=form)


@require_POST
def secret_add(request, namespace: str, name: str):
    repository = _repository(request, namespace, name, admin=True)
    form = SecretForm(request.POST)
    if form.is_valid():
        try:
            secret = services.secret_set(repository=repository, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Secret {secret.name} saved.")
            return redirect(_tab_url(repository, "secrets"))
    return render_tab(request, repository, secret_form=form)


@require_POST
def secret_remove(request, namespace: str, name: str, secret: str):
    repository = _repository(request, namespace, name, admin=True)
    row = get_object_or_404(BuildSecret, repository=repository, name=secret)
    services.secret_delete(secret=row)
    messages.success(request, f"Secret {row.name} deleted.")
    return redirect(_tab_url(repository, "secrets"))


@require_POST
def trigger_regenerate(request, namespace: str, name: str):
    repository = _repository(request, namespace, name, admin=True)
    services.settings_trigger_secret_regenerate(repository=repository)
    messages.success(request, "New trigger secret made; the old one no longer works.")
    return redirect(_tab_url(repository, "trigger"))


@require_POST
def rule_add(request, namespace: str, name: str):
    repository = _repository(request, namespace, name, admin=True)
    form = RuleForm(request.POST)
    if form.is_valid():
        try:
            rule = services.rule_create(
                repository=repository, by=request.user, **form.rule_fields()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Rule added: {rule}.")
            return redirect(_tab_url(repository, "rules"))
    return render_tab(request, repository, rule_form=form)


@require_http_methods(["GET", "POST"])
def rule_edit(request, namespace: str, name: str, rule_id: int):
    repository = _repository(request, namespace, name, admin=True)
    rule = get_object_or_404(BuildRule, pk=rule_id, repository=repository)
    form = RuleForm.for_rule(rule, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_update(rule=rule, by=request.user, **form.rule_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Rule saved: {rule}.")
            return redirect(_tab_url(repository, "rules"))
    context = {**repository_context(request, repository, "builds"), "rule": rule, "form": form}
    return render(request, "builds/rule_edit.html", context)


@require_POST
def rule_remove(request, namespace: str, name: str, rule_id: int):
    repository = _repository(request, namespace, name, admin=True)
    rule = get_object_or_404(BuildRule, pk=rule_id, repository=repository)
    label = str(rule)
    services.rule_delete(rule=rule)
    messages.success(request, f"Rule deleted: {label}.")
    return redirect(_tab_url(repository, "rules"))


# --- a build's page, its raw log, cancelling ---


def _log_lines(request, repository: Repository, build: Build):
    """The build's lines this viewer may read: full command lines only for those who push."""
    lines = BuildLogLine.objects.filter(build=build)
    if not repository_access(request.user, repository).write:
        lines = lines.filter(private=False)
    return lines


@require_safe
def build_detail(request, namespace: str, name: str, build_id: int):
    repository = _repository(request, namespace, name)
    build = _build(repository, build_id)
    if request.GET.get("fragment") == "summary":
        # The status card and what the build pushed, alone: the page fetches them again when
        # the build ends, for its tag links and pull commands, rendered and escaped as here.
        perms = repository_access(request.user, repository)
        context = {"repository": repository, "perms": perms, "build": build}
        response = render(request, "builds/build_summary.html", context)
        response["Cache-Control"] = "no-store"
        return response
    newest = (
        _log_lines(request, repository, build)
        .order_by("-seq")
        .values_list("seq", "text")[:PAGE_LINES]
    )
    lines = list(reversed(newest))
    context = {
        **repository_context(request, repository, "builds"),
        "build": build,
        "lines": lines,
        "lines_cut": bool(lines) and lines[0][0] > 1,
        "last_seq": lines[-1][0] if lines else 0,
        "ws_path": f"/ws/builds/{build.pk}/",
    }
    return render(request, "builds/build.html", context)


@require_safe
def build_log(request, namespace: str, name: str, build_id: int):
    repository = _repository(request, namespace, name)
    build = _build(repository, build_id)
    texts = _log_lines(request, repository, build).order_by("seq").values_list("text", flat=True)
    body = "".join(f"{text}\n" for text in texts.iterator(chunk_size=2000))
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    filename = f"{repository.full_name.replace('/', '-')}-build-{build.pk}.log"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_POST
def build_cancel(request, namespace: str, name: str, build_id: int):
    repository = _repository(request, namespace, name, write=True)
    build = _build(repository, build_id)
    if build.is_final:
        messages.info(request, f"Build #{build.pk} had already finished.")
    else:
        build = services.build_cancel(build=build)
        if build.status == Build.Status.CANCELLED:
            messages.success(request, f"Build #{build.pk} cancelled.")
        else:
            messages.success(request, f"Cancelling build #{build.pk}: it stops within seconds.")
    return redirect(repository_url(repository, "build-detail", build_id=build.pk))
