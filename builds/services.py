"""Writes on build settings, rules and builds. Pages, the API, triggers and tasks call these."""

import re
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from builds import validation
from builds.models import Build, BuildRule, BuildSettings, SourceType
from hub.models import Repository


def build_settings_for(*, repository: Repository) -> BuildSettings:
    settings_row, _ = BuildSettings.objects.get_or_create(repository=repository)
    return settings_row


@transaction.atomic
def settings_source_update(*, repository: Repository, source_url: str) -> BuildSettings:
    """Set the git URL builds clone; empty clears it."""
    source_url = validation.validate_source_url(source_url) if source_url.strip() else ""
    row = build_settings_for(repository=repository)
    row.source_url, row.updated_at = source_url, timezone.now()
    row.save(update_fields=["source_url", "updated_at"])
    return row


@transaction.atomic
def settings_trigger_secret_regenerate(*, repository: Repository) -> BuildSettings:
    """A new trigger secret; the old one stops working at once."""
    row = build_settings_for(repository=repository)
    row.trigger_secret, row.updated_at = secrets.token_urlsafe(24), timezone.now()
    row.save(update_fields=["trigger_secret", "updated_at"])
    return row


def repository_sync_automated(*, repository: Repository) -> None:
    """The Automated flag: on while at least one rule is active."""
    automated = BuildRule.objects.filter(repository=repository, active=True).exists()
    Repository.objects.filter(pk=repository.pk).update(is_automated=automated)


def _clean_rule_fields(fields: dict) -> dict:
    clean = dict(fields)
    if "source_type" in clean and clean["source_type"] not in SourceType.values:
        raise ValidationError({"source_type": "Choose branch or tag."})
    errors = {}
    checks = {
        "source": validation.validate_source_pattern,
        "docker_tag": validation.validate_tag_template,
        "dockerfile": lambda v: validation.validate_repo_path(v, "Dockerfile path", "Dockerfile"),
        "context": lambda v: validation.validate_repo_path(v, "build context", "/"),
        "build_args": validation.validate_build_args,
    }
    for name, check in checks.items():
        if name in clean:
            try:
                clean[name] = check(clean[name])
            except ValidationError as exc:
                errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def rule_create(*, repository: Repository, **fields) -> BuildRule:
    rule = BuildRule.objects.create(repository=repository, **_clean_rule_fields(fields))
    repository_sync_automated(repository=repository)
    return rule


@transaction.atomic
def rule_update(*, rule: BuildRule, **fields) -> BuildRule:
    for key, value in _clean_rule_fields(fields).items():
        setattr(rule, key, value)
    rule.save()
    repository_sync_automated(repository=rule.repository)
    return rule


@transaction.atomic
def rule_delete(*, rule: BuildRule) -> None:
    repository = rule.repository
    rule.delete()
    repository_sync_automated(repository=repository)


def rule_match(rule: BuildRule, source_type: str, ref: str) -> re.Match | bool | None:
    """A match (regex rules), True (name rules) or None when the rule does not cover ``ref``."""
    if rule.source_type != source_type:
        return None
    if rule.is_regex:
        return re.search(rule.source[1:-1], ref)
    return True if rule.source == ref else None


def render_tag(template: str, ref: str, match) -> str:
    """Fill {sourceref} and {\\N} now; {short_sha} waits for the clone (the pipeline fills it)."""
    tag = template.replace("{sourceref}", ref)
    if isinstance(match, re.Match):
        for i in range(1, 10):
            group = match.group(i) if i <= (match.re.groups or 0) else ""
            tag = tag.replace("{\\" + str(i) + "}", group or "")
    return re.sub(r"[^A-Za-z0-9_.{}-]", "-", tag)[:128]


def _enqueue(build: Build) -> None:
    from builds.logs import publish_status
    from builds.tasks import run_build

    def queue() -> None:
        run_build.delay(build.pk)
        publish_status(build)  # a new row on the repository's Builds tab

    transaction.on_commit(queue)


@transaction.atomic
def build_create(
    *,
    repository: Repository,
    user=None,
    trigger: str = "manual",
    source_url: str,
    source_type: str = "branch",
    source_ref: str,
    tags: list[str] | None = None,
    dockerfile: str = "Dockerfile",
    context: str = "/",
    build_args=None,
    no_cache: bool = False,
    rule: BuildRule | None = None,
) -> Build:
    """Validate a build request and queue it (the task starts once this transaction commits)."""
    errors = {}
    clean = {}
    for name, check in {
        "source_url": lambda: validation.validate_source_url(source_url),
        "source_ref": lambda: validation.validate_ref(source_ref),
        "dockerfile": lambda: validation.validate_repo_path(
            dockerfile, "Dockerfile path", "Dockerfile"
        ),
        "context": lambda: validation.validate_repo_path(context, "build context", "/"),
        "build_args": lambda: validation.validate_build_args(build_args),
        "tags": lambda: [validation.validate_tag_template(t) for t in (tags or ["latest"])],
    }.items():
        try:
            clean[name] = check()
        except ValidationError as exc:
            errors[name] = exc.messages
    if source_type not in SourceType.values:
        errors["source_type"] = ["Choose branch or tag."]
    if errors:
        raise ValidationError(errors)
    build = Build.objects.create(
        repository=repository,
        rule=rule,
        triggered_by=user if user is not None and user.is_authenticated else None,
        trigger=trigger,
        source_type=source_type,
        no_cache=no_cache,
        **clean,
    )
    _enqueue(build)
    return build


def builds_for_ref(
    *,
    repository: Repository,
    source_type: str,
    ref: str,
    user=None,
    trigger: str = "manual",
    autobuild_only: bool = False,
) -> list[Build]:
    """Queue a build for every active rule that covers ``ref``; [] when none does."""
    settings_row = build_settings_for(repository=repository)
    if not settings_row.source_url:
        raise ValidationError({"source_url": ["Set the repository's git URL first."]})
    rules = BuildRule.objects.filter(repository=repository, active=True)
    if autobuild_only:
        rules = rules.filter(autobuild=True)
    builds = []
    for rule in rules:
        match = rule_match(rule, source_type, ref)
        if match is None:
            continue
        builds.append(
            build_create(
                repository=repository,
                user=user,
                trigger=trigger,
                source_url=settings_row.source_url,
                source_type=source_type,
                source_ref=ref,
                tags=[render_tag(rule.docker_tag, ref, match)],
                dockerfile=rule.dockerfile,
                context=rule.context,
                build_args=rule.build_args,
                no_cache=not rule.cache,
                rule=rule,
            )
        )
    return builds


def build_cancel(*, build: Build) -> Build:
    """Cancel: a queued build never starts; a running one is stopped by its task within seconds."""
    now = timezone.now()
    if Build.objects.filter(pk=build.pk, status=Build.Status.QUEUED).update(
        status=Build.Status.CANCELLED, finished_at=now, cancel_requested=True
    ):
        build.refresh_from_db()
        from builds.logs import publish_status

        publish_status(build)
        return build
    Build.objects.filter(pk=build.pk, status__in=Build.RUNNING).update(cancel_requested=True)
    build.refresh_from_db()
    return build
