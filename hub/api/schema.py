"""OpenAPI pieces: how the API's credentials and error bodies are described to clients."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse

from hub.api.serializers import ErrorSerializer


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "The token from `POST /api/v2/users/login`, or a personal access token "
                "(`whf_pat_…`, Settings → Access tokens; its scope limits what it may do)."
            ),
        }


class BasicScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BasicTokenAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "Your username and a personal access token as the password.",
        }


VALIDATION = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid input: `{field: [messages]}`, or `detail`.",
)
UNAUTHORIZED = OpenApiResponse(ErrorSerializer, description="Not signed in, or bad credentials.")
FORBIDDEN = OpenApiResponse(
    ErrorSerializer, description="Not the owner or staff, or the token's scope does not allow it."
)
NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such repository, or a private one the caller may not see."
)
