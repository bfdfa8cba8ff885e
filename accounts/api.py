"""Account endpoints of the REST API: sign in for an API token, and who am I."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import api_token_issue
from accounts.models import AccessToken
from accounts.permissions import TokenScopeAllows
from accounts.ratelimit import (
    RateLimitUnavailable,
    login_failure_record,
    login_failures_clear,
    login_lockout,
)
from accounts.selectors import user_get_by_login
from hub.api.schema import VALIDATION
from hub.api.serializers import ErrorSerializer

BAD_CREDENTIALS = "Incorrect username or password."
LOCKED = (
    "Too many failed sign-in attempts for this account from your network. "
    "Try again in {minutes} minute(s), or reset your password."
)


class LoginApi(APIView):
    """Trade a username (or email) and password for an API token, as Docker Hub's API does.

    Failures count towards the same per-(name, address) lockout as the sign-in form and the
    registry, so the API is no back door for guessing passwords.
    """

    # Credentials travel in the body: a stale or broken Authorization header must not stop
    # someone from signing in again. No session is made, so there is no CSRF to check either.
    authentication_classes = []
    permission_classes = [TokenScopeAllows]

    @extend_schema_serializer(component_name="LoginRequest")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=254, help_text="Username or email address.")
        password = serializers.CharField(max_length=4096, trim_whitespace=False)

    @extend_schema_serializer(component_name="LoginResponse")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(
            help_text="Send as `Authorization: Bearer <token>`; valid for a day."
        )

    @extend_schema(
        summary="Sign in: trade a username and password for an API token",
        tags=["users"],
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: VALIDATION,
            401: OpenApiResponse(ErrorSerializer, description=BAD_CREDENTIALS),
            429: OpenApiResponse(ErrorSerializer, description="Too many failed attempts."),
            503: OpenApiResponse(ErrorSerializer, description=RateLimitUnavailable.message),
        },
        auth=[],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            return self._sign_in(
                request,
                serializer.validated_data["username"],
                serializer.validated_data["password"],
            )
        except RateLimitUnavailable as exc:
            return Response(
                {"detail": str(exc)},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(exc.retry_after)},
            )

    def _sign_in(self, request, login: str, password: str) -> Response:
        address = request.META.get("REMOTE_ADDR", "")
        account = user_get_by_login(login=login)
        # Counted against the account however it was named, like the sign-in form does.
        username = account.username if account else login
        lockout = login_lockout(login=username, address=address)
        if lockout.locked:
            minutes = (lockout.retry_after + 59) // 60
            return Response(
                {"detail": LOCKED.format(minutes=minutes)},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(lockout.retry_after)},
            )
        user = authenticate(request, username=username, password=password)
        if user is None:
            login_failure_record(login=username, address=address)
            return Response(
                {"detail": BAD_CREDENTIALS},
                status=status.HTTP_401_UNAUTHORIZED,
                headers={"WWW-Authenticate": 'Bearer realm="api"'},
            )
        login_failures_clear(login=username, address=address)
        return Response(self.OutputSerializer({"token": api_token_issue(user=user)}).data)


class CurrentUserApi(APIView):
    """The account behind the request's credentials (and the token's scope, when one is used)."""

    permission_classes = [IsAuthenticated, TokenScopeAllows]

    @extend_schema_serializer(component_name="CurrentUser")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        email = serializers.EmailField()
        date_joined = serializers.DateTimeField()
        is_staff = serializers.BooleanField()
        token_scope = serializers.SerializerMethodField(
            help_text="The personal access token's scope; null for other credentials."
        )
        token_expires_at = serializers.SerializerMethodField(
            help_text=(
                "When the personal access token stops working; null when it does not expire "
                "or for other credentials."
            )
        )

        @extend_schema_field(
            serializers.ChoiceField(choices=AccessToken.Scope.choices, allow_null=True)
        )
        def get_token_scope(self, user) -> str | None:
            token = self.context.get("auth")
            return token.scope if isinstance(token, AccessToken) else None

        @extend_schema_field(serializers.DateTimeField(allow_null=True))
        def get_token_expires_at(self, user) -> str | None:
            token = self.context.get("auth")
            if not isinstance(token, AccessToken) or token.expires_at is None:
                return None
            return serializers.DateTimeField().to_representation(token.expires_at)

    @extend_schema(
        summary="The signed-in account",
        tags=["users"],
        responses={200: OutputSerializer, 401: ErrorSerializer},
    )
    def get(self, request):
        return Response(self.OutputSerializer(request.user, context={"auth": request.auth}).data)
