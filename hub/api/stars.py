"""Stars: star and unstar a repository; list what a user has starred."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import exceptions, generics, serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import TokenScopeAllows
from hub import services
from hub.api.common import repository_visible, with_has_starred
from hub.api.schema import FORBIDDEN, NOT_FOUND, UNAUTHORIZED
from hub.api.serializers import ErrorSerializer, RepositorySerializer
from hub.models import Repository
from hub.permissions import robot_of
from hub.selectors import user_starred

STAR_ERRORS = {401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND}


class StarsApi(APIView):
    """``/api/v2/repositories/{namespace}/{name}/stars/``: POST stars, DELETE unstars."""

    permission_classes = [IsAuthenticated, TokenScopeAllows]
    # Unstarring removes nothing of anyone's content: a read/write token may do it.
    token_actions = {"DELETE": "write"}

    @extend_schema_serializer(component_name="StarState")
    class OutputSerializer(serializers.Serializer):
        starred = serializers.BooleanField()
        star_count = serializers.IntegerField()

    def _state(self, repository: Repository, starred: bool) -> Response:
        # The services move the counter with an UPDATE; read it back rather than guess it.
        count = Repository.objects.filter(pk=repository.pk).values_list("star_count", flat=True)
        state = {"starred": starred, "star_count": count.first() or 0}
        return Response(self.OutputSerializer(state).data)

    @extend_schema(
        summary="Star a repository",
        description="Starring twice is harmless: the count moves once.",
        tags=["stars"],
        request=None,
        responses={200: OutputSerializer, **STAR_ERRORS},
    )
    def post(self, request, namespace, name):
        repository = repository_visible(request, namespace, name)
        if robot_of(request.user) is not None:  # stars count people
            raise exceptions.PermissionDenied("Robot accounts cannot star repositories.")
        services.star_add(user=request.user, repository=repository)
        return self._state(repository, True)

    @extend_schema(
        summary="Unstar a repository",
        tags=["stars"],
        request=None,
        responses={200: OutputSerializer, **STAR_ERRORS},
    )
    def delete(self, request, namespace, name):
        repository = repository_visible(request, namespace, name)
        services.star_remove(user=request.user, repository=repository)
        return self._state(repository, False)


class UserStarredApi(generics.GenericAPIView):
    """``/api/v2/users/{username}/starred/``: what a user starred, as far as the caller may see."""

    permission_classes = [AllowAny, TokenScopeAllows]
    serializer_class = RepositorySerializer

    @extend_schema(
        summary="List the repositories a user has starred",
        description="Most recently starred first; private ones only for those who may see them.",
        tags=["stars"],
        responses={200: RepositorySerializer(many=True), 404: ErrorSerializer},
    )
    def get(self, request, username):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise exceptions.NotFound(f"No user {username!r}.")
        repositories = with_has_starred(user_starred(user=user, viewer=request.user), request.user)
        page = self.paginate_queryset(repositories)
        data = RepositorySerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)
