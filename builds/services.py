"""Writes on build settings, rules and builds. Pages, the API, triggers and tasks call these."""

import json
import re
import secrets
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from builds import validation
from builds.events import build_event_record
from builds.models import Build, BuildRule, BuildSecret, BuildSettings, SourceType
from hub import crypto
from hub.models import Repository

MAX_SECRETS = 20
MAX_SECRET_BYTES = 64 * 1024


def build_settings_for(*, repository: Repository) -> BuildSettings:
    settings_row, _ = BuildSettings.objects.get_or_create(repository=repository)
    return settings_row


def _configured(row: BuildSettings, by) -> list[str]:
    """Record who chose what builds build (webhook builds act for them)."""
    if by is None:
        return []
    row.configured_by = by
    return ["configured_by"]


@transaction.atomic
def settings_source_update(*, repository: Repository, source_url: str, by=None) -> BuildSettings:
    """Set the git URL builds clone; empty clears it.

    A password written into the URL (``https://user:token@host/…``) is taken out and kept as
    the source's credentials (encrypted), so no page, log or API answer can show it. Moving the
    URL to another host drops the stored credentials: they were given for the old one.
    """
    source_url = validation.validate_source_url(source_url) if source_url.strip() else ""
    source_url, username, password = validation.split_credentials(source_url)
    row = build_settings_for(repository=repository)
    fields = ["source_url", "updated_at", *_configured(row, by)]
    if row.git_token and not password and not _same_origin(source_url, row.source_url):
        row.git_username, row.git_token = "", ""
        fields += ["git_username", "git_token"]
    row.source_url, row.updated_at = source_url, timezone.now()
    if password:
        row.git_username, row.git_token = username, crypto.encrypt(password)
        fields += ["git_username", "git_token"]
    row.save(update_fields=sorted(set(fields)))
    return row


@transaction.atomic
def settings_credentials_update(
    *, repository: Repository, username: str, token: str | None, by=None
) -> BuildSettings:
    """Set the user name and token sent to the git URL's host (https); ``token=None`` keeps the
    stored one, "" removes both."""
    username = (username or "").strip()
    if len(username) > 200 or any(ord(c) < 0x20 for c in username):
        raise ValidationError(
            {"git_username": ["A user name of at most 200 printable characters."]}
        )
    row = build_settings_for(repository=repository)
    if token is not None:
        if len(token) > 4096 or any(ord(c) < 0x20 for c in token):
            raise ValidationError({"git_token": ["A token of at most 4096 printable characters."]})
        row.git_token = crypto.encrypt(token)
    if not row.git_token:
        username = ""
    if row.git_token and not username:
        raise ValidationError({"git_username": ["Give the user name the token belongs to."]})
    row.git_username, row.updated_at = username, timezone.now()
    row.save(update_fields=["git_username", "git_token", "updated_at", *_configured(row, by)])
    return row


def _same_origin(url: str, other: str) -> bool:
    try:
        a, b = urlsplit(url), urlsplit(other)
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port) and bool(a.hostname)
    except ValueError:
        return False


def source_credential_for(*, repository: Repository, source_url: str) -> str:
    """The encrypted credential a build of ``source_url`` carries: the repository's, and only
    when the URL is on the same host as the repository's git URL (never sent elsewhere)."""
    row = BuildSettings.objects.filter(repository=repository).first()
    if row is None or not row.git_token or not _same_origin(source_url, row.source_url):
        return ""
    try:
        token = crypto.decrypt(row.git_token)
    except crypto.Unreadable:
        return ""
    return crypto.encrypt(json.dumps({"username": row.git_username, "password": token}))


@transaction.atomic
def secret_set(*, repository: Repository, name: str, value: str) -> BuildSecret:
    """Create or replace a secret build value (``RUN --mount=type=secret,id=<name>``)."""
    try:
        name = validation.validate_secret_name(name)
    except ValidationError as error:
        raise ValidationError({"name": error.messages}) from None
    if not isinstance(value, str) or len(value.strip()) < 4:
        raise ValidationError({"value": ["A secret value has at least 4 characters."]})
    if len(value.encode()) > MAX_SECRET_BYTES:
        raise ValidationError({"value": ["A secret value is at most 64 KiB."]})
    existing = BuildSecret.objects.filter(repository=repository, name=name).first()
    if (
        existing is None
        and BuildSecret.objects.filter(repository=repository).count() >= MAX_SECRETS
    ):
        raise ValidationError({"name": [f"At most {MAX_SECRETS} secrets a repository."]})
    now = timezone.now()
    if existing is None:
        return BuildSecret.objects.create(
            repository=repository, name=name, value=crypto.encrypt(value), created_at=now,
            updated_at=now,
        )  # fmt: skip
    existing.value, existing.updated_at = crypto.encrypt(value), now
    existing.save(update_fields=["value", "updated_at"])
    return existing


def secret_delete(*, secret: BuildSecret) -> None:
    secret.delete()


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


def _rule_configured(repository: Repository, by) -> None:
    if by is not None:
        row = build_settings_for(repository=repository)
        row.save(update_fields=_configured(row, by))


@transaction.atomic
def rule_create(*, repository: Repository, by=None, **fields) -> BuildRule:
    rule = BuildRule.objects.create(repository=repository, **_clean_rule_fields(fields))
    repository_sync_automated(repository=repository)
    _rule_configured(repository, by)
    return rule


@transaction.atomic
def rule_update(*, rule: BuildRule, by=None, **fields) -> BuildRule:
    for key, value in _clean_rule_fields(fields).items():
        setattr(rule, key, value)
    rule.save()
    repository_sync_automated(repository=rule.repository)
    _rule_configured(rule.repository, by)
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


def _one_off_tags(tags: list[str] | None) -> list[str]:
    """A one-off build's tags: names, {sourceref} or {short_sha}; {\1}… need a regex rule."""
    clean = [validation.validate_tag_template(t) for t in tags or ["latest"]]
    for tag in clean:
        if re.search(r"\{\\[0-9]\}", tag):
            raise ValidationError(
                f"{tag}: {{\\1}}…{{\\9}} take what a rule's regex matched; a one-off build "
                "may use {sourceref} and {short_sha}."
            )
    return clean


def render_tag(template: str, ref: str, match) -> str:
    """Fill {sourceref} and {\\N} now; {short_sha} waits for the clone (the pipeline fills it)."""
    tag = template.replace("{sourceref}", ref)
    if isinstance(match, re.Match):
        for i in range(1, 10):
            group = match.group(i) if i <= (match.re.groups or 0) else ""
            tag = tag.replace("{\\" + str(i) + "}", group or "")
    return re.sub(r"[^A-Za-z0-9_.{}-]", "-", tag)[:128]


def _enqueue(build: Build) -> None:
    """Send the build to the workers once it is committed. When the broker cannot take it, the
    build ends ``error`` with the reason at once (nothing would ever run it), and ``build``
    says so: callers answer 503 (``queue_failure``)."""
    from builds import queue
    from builds.logs import LogWriter, publish_status

    def send() -> None:
        try:
            queue.send(build)
        except queue.Unavailable as exc:
            now = timezone.now()
            Build.objects.filter(pk=build.pk, status=Build.Status.QUEUED).update(
                status=Build.Status.ERROR, error=str(exc), finished_at=now
            )
            build.status, build.error, build.finished_at = Build.Status.ERROR, str(exc), now
            build_event_record(build=build)
            writer = LogWriter(build)
            writer.line(str(exc))
            writer.flush()
        publish_status(build)  # a new row on the repository's Builds tab

    # robust: every build of a batch gets its chance, and the caller sees each one's state.
    transaction.on_commit(send, robust=True)


def queue_failure(builds: list[Build]) -> str:
    """The message when the broker refused these builds (see ``_enqueue``), else ""."""
    from builds.queue import QUEUE_UNAVAILABLE

    failed = [b for b in builds if b.status == Build.Status.ERROR and b.error == QUEUE_UNAVAILABLE]
    return QUEUE_UNAVAILABLE if failed else ""


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
        "tags": lambda: (
            _one_off_tags(tags)
            if rule is None
            else [validation.validate_tag_template(t) for t in tags or ["latest"]]
        ),
    }.items():
        try:
            clean[name] = check()
        except ValidationError as exc:
            errors[name] = exc.messages
    if source_type not in SourceType.values:
        errors["source_type"] = ["Choose branch or tag."]
    if errors:
        raise ValidationError(errors)
    if rule is None:  # a rule's builds come with their tags filled (builds_for_ref)
        clean["tags"] = [render_tag(tag, clean["source_ref"], None) for tag in clean["tags"]]
    url, username, password = validation.split_credentials(clean.pop("source_url"))
    if password:  # written into a one-off build's URL: kept encrypted, never shown
        credential = crypto.encrypt(json.dumps({"username": username, "password": password}))
    else:
        credential = source_credential_for(repository=repository, source_url=url)
    build = Build.objects.create(
        repository=repository,
        rule=rule,
        triggered_by=user if user is not None and user.is_authenticated else None,
        trigger=trigger,
        source_type=source_type,
        no_cache=no_cache,
        source_url=url,
        source_credential=credential,
        **clean,
    )
    build_event_record(build=build)
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

        build_event_record(build=build)
        publish_status(build)
        return build
    Build.objects.filter(pk=build.pk, status__in=Build.RUNNING).update(cancel_requested=True)
    build.refresh_from_db()
    return build
