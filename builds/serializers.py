"""Output shapes of the builds API: builds, their logs, build settings and build rules."""

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from builds.models import Build, BuildSecret, BuildSettings
from hub.models import LIBRARY, Repository


def absolute(path: str, *, websocket: bool = False) -> str:
    """``path`` on Wharf's public address (``WHARF_URL``), as ws(s):// for websockets."""
    base = urlsplit(settings.WHARF_URL)
    scheme = base.scheme
    if websocket:
        scheme = "wss" if scheme == "https" else "ws"
    return urlunsplit((scheme, base.netloc, path, "", ""))


def _writer(serializer) -> bool:
    """Whether the caller may push (``can_write`` in the context; missing means no)."""
    return bool(serializer.context.get("can_write"))


@extend_schema_field(
    serializers.DictField(
        child=serializers.CharField(allow_null=True),
        help_text="Build-arg values only for those who may push; null for everyone else.",
    )
)
class BuildArgsField(serializers.Field):
    """``{name: value}``, the values null unless the caller may push to the repository."""

    def to_representation(self, value):
        if _writer(self):
            return dict(value)
        return dict.fromkeys(value)

    def get_attribute(self, instance):
        return instance.build_args


def redact_url(url: str) -> str:
    """A git URL without the password or token someone may have put in it (https://u:t@host)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:****@{host}"))


def repository_kwargs(repository: Repository) -> dict:
    return {"namespace": repository.namespace.name, "name": repository.name}


def build_urls(build: Build) -> dict:
    repository = build.repository
    kwargs = {**repository_kwargs(repository), "build_id": build.pk}
    if repository.namespace.name == LIBRARY:
        page = f"/_/{repository.name}/builds/{build.pk}/"
    else:
        page = f"/r/{repository.namespace.name}/{repository.name}/builds/{build.pk}/"
    return {
        "api": absolute(reverse("api:build", kwargs=kwargs)),
        "page": absolute(page),
        "logs": absolute(reverse("api:build-logs", kwargs=kwargs)),
        "websocket": absolute(f"/ws/builds/{build.pk}/", websocket=True),
    }


@extend_schema_serializer(component_name="BuildUrls")
class BuildUrlsSerializer(serializers.Serializer):
    api = serializers.URLField(help_text="This build in the REST API.")
    page = serializers.URLField(help_text="The build's page, with its live log.")
    logs = serializers.URLField(help_text="Its log lines: `?after=<seq>`, JSON or text.")
    websocket = serializers.CharField(help_text="Live lines and status: `?after=<seq>`.")


@extend_schema_serializer(component_name="Build")
class BuildSerializer(serializers.Serializer):
    """A build as the history lists it. Needs ``repository__namespace`` loaded."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Build.Status.choices)
    source_type = serializers.CharField()
    source_ref = serializers.CharField(help_text="The branch or tag built.")
    commit_sha = serializers.CharField(help_text="Empty until the clone has happened.")
    tags = serializers.ListField(child=serializers.CharField())
    digest = serializers.CharField(help_text="The pushed image's digest, once pushed.")
    trigger = serializers.CharField(help_text="manual, api or webhook.")
    triggered_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.SerializerMethodField()
    error = serializers.CharField()
    step = serializers.IntegerField(help_text="The builder's current STEP n…")
    steps = serializers.IntegerField(help_text="…of m (0 until known).")
    urls = serializers.SerializerMethodField()

    def get_triggered_by(self, build: Build) -> str | None:
        return build.triggered_by.username if build.triggered_by_id else None

    def get_duration_seconds(self, build: Build) -> float | None:
        duration = build.duration
        return round(duration.total_seconds(), 1) if duration is not None else None

    @extend_schema_field(BuildUrlsSerializer)
    def get_urls(self, build: Build) -> dict:
        return build_urls(build)


@extend_schema_serializer(component_name="BuildDetail")
class BuildDetailSerializer(BuildSerializer):
    """Everything about one build, the recipe included."""

    source_url = serializers.SerializerMethodField()
    dockerfile = serializers.CharField()
    context = serializers.CharField()
    build_args = BuildArgsField()
    no_cache = serializers.BooleanField()
    rule = serializers.IntegerField(source="rule_id", allow_null=True)
    cancel_requested = serializers.BooleanField()
    cloning_at = serializers.DateTimeField(allow_null=True)
    building_at = serializers.DateTimeField(allow_null=True)
    pushing_at = serializers.DateTimeField(allow_null=True)
    last_seq = serializers.IntegerField(help_text="The sequence number of the last stored line.")

    def get_source_url(self, build: Build) -> str:
        return redact_url(build.source_url)


@extend_schema_serializer(component_name="BuildBatch")
class BuildBatchSerializer(serializers.Serializer):
    """The builds one trigger queued: one per matching rule."""

    builds = BuildDetailSerializer(many=True)


@extend_schema_serializer(component_name="BuildLogLine")
class LogLineSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    text = serializers.CharField()


@extend_schema_serializer(component_name="BuildLog")
class LogSerializer(serializers.Serializer):
    lines = LogLineSerializer(many=True)
    last_seq = serializers.IntegerField(
        help_text="The last line's seq (or `after` when none came): ask next with `?after=` it."
    )
    status = serializers.ChoiceField(choices=Build.Status.choices)
    more = serializers.BooleanField(help_text="More stored lines follow than `limit` allowed.")
    final = serializers.BooleanField(
        help_text="The build has ended and every line has been read: no need to ask again."
    )


@extend_schema_serializer(component_name="BuildSettings")
class BuildSettingsSerializer(serializers.Serializer):
    """A repository's git source and trigger URL. Needs ``can_write`` in the context."""

    source_url = serializers.SerializerMethodField()
    git_username = serializers.SerializerMethodField(
        help_text="Who builds log in to the git host as (https); null for those who may not push."
    )
    has_git_token = serializers.BooleanField(
        help_text="A token for the git host is set. It is never shown again, to anyone."
    )
    secrets = serializers.SerializerMethodField(
        help_text="Names of the secret build values (…/build-secrets/); values are never shown."
    )
    trigger_url = serializers.SerializerMethodField()
    trigger_secret = serializers.SerializerMethodField()
    automated = serializers.BooleanField(
        source="repository.is_automated", help_text="On while at least one rule is active."
    )
    updated_at = serializers.DateTimeField()

    def get_source_url(self, row: BuildSettings) -> str:
        return row.source_url if self.context["can_write"] else redact_url(row.source_url)

    def get_git_username(self, row: BuildSettings) -> str | None:
        return row.git_username if self.context["can_write"] else None

    def get_secrets(self, row: BuildSettings) -> list[str] | None:
        if not self.context["can_write"]:
            return None
        return list(row.repository.build_secrets.values_list("name", flat=True))

    def get_trigger_url(self, row: BuildSettings) -> str:
        return absolute(reverse("api:build-trigger", kwargs={"trigger_uuid": row.trigger_uuid}))

    def get_trigger_secret(self, row: BuildSettings) -> str | None:
        """Only those who may push see it (null for everyone else)."""
        return row.trigger_secret if self.context["can_write"] else None


@extend_schema_serializer(component_name="BuildRule")
class BuildRuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    source_type = serializers.CharField()
    source = serializers.CharField(help_text="A name, or a regex between slashes: `/^v(.*)$/`.")
    docker_tag = serializers.CharField(help_text="`latest`, `{sourceref}`, `{\\1}`, `{short_sha}`")
    dockerfile = serializers.CharField()
    context = serializers.CharField()
    build_args = BuildArgsField()
    cache = serializers.BooleanField()
    autobuild = serializers.BooleanField()
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="BuildSecret")
class BuildSecretSerializer(serializers.Serializer):
    """A secret build value: its name and dates. The value is write-only."""

    name = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    mount = serializers.SerializerMethodField(help_text="How a Dockerfile reads it.")

    def get_mount(self, secret: BuildSecret) -> str:
        return f"RUN --mount=type=secret,id={secret.name} cat /run/secrets/{secret.name}"
