from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import AccessToken
from accounts.permissions import TokenScopeAllows


class CurrentUserApi(APIView):
    """The account behind the request's credentials (and the token's scope, when one is used)."""

    permission_classes = [IsAuthenticated, TokenScopeAllows]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        email = serializers.EmailField()
        date_joined = serializers.DateTimeField()
        is_staff = serializers.BooleanField()

    def get(self, request):
        data = self.OutputSerializer(request.user).data
        token = request.auth
        data["token_scope"] = token.scope if isinstance(token, AccessToken) else None
        return Response(data)
