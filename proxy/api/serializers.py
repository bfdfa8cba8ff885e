"""Output and input shapes of the upstreams API. The password is write-only: no output (and no
response schema) has it; ``has_password`` says whether one is set."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from builds.api.common import StrictSerializer
from proxy.models import Upstream
from proxy.validation import PASSWORD_MAX_LENGTH, URL_MAX_LENGTH, USERNAME_MAX_LENGTH

PULL_ACCESS_HELP = (
    "Who may make Wharf fetch from the upstream: `signed_in` (anyone signed in, the default) "
    "or `public` (anonymous pulls too). What is cached already is read as its repositories allow."
)


@extend_schema_serializer(component_name="Upstream")
class UpstreamSerializer(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.CharField(help_text="The registry's base URL: scheme, host and port.")
    username = serializers.CharField(help_text="Empty: Wharf pulls from it anonymously.")
    namespace = serializers.CharField(
        source="namespace.name",
        help_text="The proxy namespace: `HOST/{namespace}/library/nginx` pulls upstream's "
        "`library/nginx`.",
    )
    tls_verify = serializers.BooleanField()
    is_mirror = serializers.BooleanField(
        help_text="The default mirror: `/v2/library/…` and unknown top-level names fall "
        "through to it (dockerd's `registry-mirrors`). At most one upstream is."
    )
    pull_access = serializers.ChoiceField(
        choices=Upstream.PullAccess.choices, help_text=PULL_ACCESS_HELP
    )
    has_password = serializers.BooleanField(help_text="The password itself is never shown.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="UpstreamInput")
class UpstreamInputSerializer(StrictSerializer):
    name = serializers.CharField(
        max_length=40, help_text="Lowercase letters, digits, - and _ (its URL in this API)."
    )
    url = serializers.CharField(
        max_length=URL_MAX_LENGTH,
        help_text="`https://registry-1.docker.io`: http:// or https://, a host and maybe a "
        "port; no path, query or credentials.",
    )
    username = serializers.CharField(
        max_length=USERNAME_MAX_LENGTH, allow_blank=True, required=False, default=""
    )
    password = serializers.CharField(
        max_length=PASSWORD_MAX_LENGTH,
        allow_blank=True,
        allow_null=True,
        required=False,
        write_only=True,
        trim_whitespace=False,
        help_text="Write-only, stored encrypted, never shown or logged. Left out of a PATCH "
        "(or null), it is kept; an empty string removes it.",
    )
    namespace = serializers.CharField(
        max_length=30,
        allow_blank=True,
        required=False,
        help_text="The proxy namespace, made with the upstream; its `name` when left out. It "
        "follows the rules of organization names and cannot change later.",
    )
    tls_verify = serializers.BooleanField(
        default=True, help_text="Check the upstream's certificate (https)."
    )
    is_mirror = serializers.BooleanField(
        default=False, help_text="Make it the default mirror; the previous one stops being it."
    )
    pull_access = serializers.ChoiceField(
        choices=Upstream.PullAccess.choices,
        default=Upstream.PullAccess.SIGNED_IN,
        help_text=PULL_ACCESS_HELP,
    )
