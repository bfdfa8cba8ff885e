"""The token endpoint (``/token``): credentials in, a scoped registry JWT out."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from hub import permissions
from hub.registry import access, tokens
from hub.registry.errors import NameInvalid, RegistryError, Unauthorized, Unsupported

CATALOG = {"type": "registry", "name": "catalog", "actions": ["*"]}


def granted(scopes: list[tokens.Scope], actions_for) -> list[dict]:
    """The intersection of what was asked and what the caller may do; never an error.

    ``actions_for(name)`` is what the caller may do to repository ``name`` (raising NameInvalid
    for a malformed one): ``access.allowed_actions`` here, cached rights in the fast path.

    A request asking for nothing (what ``docker login`` and ``podman search HOST/`` send after
    the ``/v2/`` challenge) gets the catalog: podman then lists ``/v2/_catalog`` with that very
    token and never asks again, and the catalog shows only what the caller may pull anyway.
    """
    if not scopes:
        return [{**CATALOG}]
    result = []
    for scope in scopes:
        if scope.type == "registry" and scope.name == "catalog":
            # The catalog lists only what the caller may pull, so anyone may ask for it.
            result.append({**CATALOG})
            continue
        if scope.type != "repository":
            continue
        try:
            allowed = actions_for(scope.name)
        except NameInvalid:
            continue
        wanted = set(tokens.ALL_ACTIONS) if "*" in scope.actions else set(scope.actions)
        actions = sorted(wanted & allowed)
        result.append({"type": "repository", "name": scope.name, "actions": actions})
    return result


def _build_token(secret: str, scopes: list[tokens.Scope]) -> JsonResponse:
    """A build's token: what its phase allows, within its starter's rights (builds.credentials)."""
    from builds import credentials  # the builds app decides what a build may do

    caller = credentials.authenticate(secret)
    if caller is None:
        raise Unauthorized(
            "invalid, expired or revoked build credential", headers=access.challenge()
        )
    body = tokens.issue(
        subject="", access=credentials.access_for(caller, scopes), build=caller.grant_id
    )
    response = JsonResponse(body)
    response["Docker-Distribution-API-Version"] = "registry/2.0"
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
def token(request):
    try:
        if request.method == "GET":
            params = request.GET
        elif request.method == "POST":
            params = request.POST  # OAuth2 form: grant_type=password
        else:
            raise Unsupported("use GET (or POST with an OAuth2 form)")
        user, pat = None, None
        credentials = access.basic_credentials(request.headers.get("Authorization", ""))
        if credentials is None and params.get("grant_type") == "password":
            credentials = (params.get("username", ""), params.get("password", ""))
        elif request.method == "POST" and params.get("grant_type") not in (None, "password"):
            raise Unsupported("only grant_type=password is supported; no refresh tokens are issued")
        if credentials is not None and credentials[0] == tokens.BUILD_USERNAME:
            return _build_token(credentials[1], tokens.parse_scopes(params.getlist("scope")))
        if credentials is not None:
            user, pat = access.credentials_check(request, *credentials)
            account = params.get("account")
            if account and account != user.username:
                raise Unauthorized("account does not match the credentials")
        scopes = tokens.parse_scopes(params.getlist("scope"))
        actor = permissions.as_actor(user, pat)
        body = tokens.issue(
            subject=user.username if user else "",
            access=granted(scopes, lambda name: access.allowed_actions(actor, name)),
            pat=str(pat.uuid) if pat else "",
            robot=getattr(permissions.robot_of(user), "pk", 0),
        )
    except RegistryError as exc:
        response = exc.response()
    else:
        response = JsonResponse(body)
    response["Docker-Distribution-API-Version"] = "registry/2.0"
    response["Cache-Control"] = "no-store"
    return response
