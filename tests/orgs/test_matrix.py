"""The permission matrix of issue 10: every actor at every door, every cell asserted.

Two private repositories: ``acme/app`` of the organization acme, and ``alice/vault`` of alice,
each with an image and a finished build. Each actor has an expected level on each (0 none,
1 read, 2 write, 3 admin; ``REVOKED``: its credentials fail). Every door is asked as a client
would ask it — pages with a session, the REST API with the actor's credential, the registry
through its token endpoint and /v2/ — and must answer exactly what that level allows: 404 (never
403) for what one may not see.
"""

import base64
import json
import uuid

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from builds.consumers import CLOSE_NOT_FOUND
from builds.models import Build
from hub.models import Repository
from hub.registry import tokens
from orgs import robots, services
from orgs.models import Robot
from tests.builds.test_consumer import (  # noqa: F401  (channel_layer: the fixture, autouse)
    TIMEOUT,
    channel_layer,
    make_build,
    receive_until_closed,
    session_cookie,
    socket,
)
from tests.factories import PASSWORD, UserFactory, make_token
from tests.hub.conftest import make_repo, push_image

pytestmark = pytest.mark.django_db(transaction=True)

ORG, USER_REPO = "acme/app", "alice/vault"
REVOKED = "revoked"

# actor: (level on acme/app, level on alice/vault)
EXPECTED = {
    "anonymous": (0, 0),
    "stranger": (0, 0),
    "org_member": (0, 0),
    "team_read": (1, 0),
    "team_write": (2, 0),
    "team_admin": (3, 0),
    "org_editor": (3, 0),
    "org_owner": (3, 3),  # alice owns acme and alice/vault
    "collaborator_read": (0, 1),
    "collaborator_write": (0, 2),
    "robot_with_repo": (2, 0),  # acme+ci: app, pull+push
    "robot_without_repo": (0, 0),  # acme+other: other, pull+push+delete
    "revoked_robot": (REVOKED, REVOKED),
    "staff": (3, 3),
}
ROBOT_ACTIONS = {"robot_with_repo": {"pull", "push"}, "robot_without_repo": set()}


def basic(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


class World:
    """The users, organization, repositories and robots every cell is asked about."""

    def __init__(self):
        people = {
            name: UserFactory(username=name.replace("_", ""))
            for name in EXPECTED
            if name not in ("anonymous",) and "robot" not in name
        }
        people["staff"].is_staff = True
        people["staff"].save()
        alice = people["org_owner"]
        alice.username = "alice"
        alice.save()
        org = services.org_create(user=alice, name="acme", full_name="Acme")
        services.member_add(org=org, username=people["org_editor"].username, role="editor")
        services.member_add(org=org, username=people["org_member"].username, role="member")
        push_image("acme/app:v1")
        app = Repository.objects.select_related("namespace").get(namespace=org, name="app")
        app.is_private = True
        app.description = "matrixorgapp"
        app.search_text = app.compute_search_text()
        app.save()
        for level in ("read", "write", "admin"):
            team = services.team_create(org=org, name=f"{level}ers")
            services.team_member_add(team=team, username=people[f"team_{level}"].username)
            services.team_permission_set(repository=app, team=team, permission=level)
        vault = make_repo(alice, "vault", is_private=True, description="matrixuservault")
        push_image("alice/vault:v1")
        for level in ("read", "write"):
            services.collaborator_set(
                repository=vault,
                username=people[f"collaborator_{level}"].username,
                permission=level,
            )
        make_repo(alice, "public", description="matrixpublic")
        self.people = people
        self.repos = {ORG: app, USER_REPO: vault}
        self.builds = {
            ORG: make_build(app, status=Build.Status.FAILED),
            USER_REPO: make_build(vault, status=Build.Status.FAILED),
        }
        self.robots = {}
        for key, short, repositories, actions in (
            ("robot_with_repo", "ci", ["app"], ["pull", "push"]),
            ("robot_without_repo", "other", ["other"], ["pull", "push", "delete"]),
            ("revoked_robot", "old", ["*"], ["pull", "push", "delete"]),
        ):
            robot, secret = robots.robot_create(
                namespace=org,
                name=short,
                created_by=alice,
                repositories=repositories,
                actions=actions,
            )
            self.robots[key] = (robot.full_name, secret)
        revoked = self.robots["revoked_robot"][0]
        robots.robot_delete(robot=Robot.objects.get(user__username=revoked))
        self.pats = {
            key: make_token(user, scope="read_write_delete")[1] for key, user in people.items()
        }


@pytest.fixture
def world(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WHARF_URL = "http://testserver"
    return World()


class Asker:
    """One actor's clients: a page session, REST credentials, registry credentials."""

    def __init__(self, world: World, actor: str):
        self.actor = actor
        self.page = Client()
        self.cookie = b""
        self.rest_auth = ""
        self.registry_auth = ""
        if actor in world.people:
            user = world.people[actor]
            self.page.force_login(user)
            self.cookie = session_cookie(user)
            self.rest_auth = f"Bearer {world.pats[actor]}"
            self.registry_auth = basic(user.username, PASSWORD)
        elif actor in world.robots:
            name, secret = world.robots[actor]
            # Robots never sign in to pages: the form refuses their secret.
            login = Client()
            login.post("/login/", {"username": name, "password": secret})
            assert "_auth_user_id" not in login.session, actor
            self.rest_auth = self.registry_auth = basic(name, secret)
        self.api = Client(HTTP_AUTHORIZATION=self.rest_auth) if self.rest_auth else Client()

    def token(self, *scopes: str) -> tuple[int, dict]:
        query = "&".join(f"scope={s}" for s in scopes)
        headers = {"HTTP_AUTHORIZATION": self.registry_auth} if self.registry_auth else {}
        response = Client().get(f"/token?service=testserver&{query}", **headers)
        return response.status_code, response.json()

    def bearer(self, *scopes: str) -> dict:
        status, body = self.token(*scopes)
        assert status == 200, body
        return {"HTTP_AUTHORIZATION": f"Bearer {body['token']}"}


def page_status(asker: Asker, path: str) -> int:
    return asker.page.get(path).status_code


def websocket_allowed(asker: Asker, build: Build) -> bool:
    async def scenario():
        ws = socket(build.pk, cookie=asker.cookie)
        assert (await ws.connect(TIMEOUT))[0]
        return await receive_until_closed(ws)

    messages, code = async_to_sync(scenario)()
    if code == CLOSE_NOT_FOUND:
        assert messages == []
        return False
    assert messages[0]["type"] == "status"
    return True


def expected_actions(level, actor: str, target: str) -> set[str]:
    if level == REVOKED or level == 0:
        return set()
    actions = {"pull"}
    if level >= 2:
        actions |= {"push", "delete"}
    if actor in ROBOT_ACTIONS and target == ORG:
        actions &= ROBOT_ACTIONS[actor]
    return actions


@pytest.mark.parametrize("actor", list(EXPECTED))
def test_every_door_answers_what_the_permission_function_grants(world, actor):
    asker = Asker(world, actor)
    revoked = EXPECTED[actor][0] == REVOKED
    for target, level in zip((ORG, USER_REPO), EXPECTED[actor], strict=True):
        ns, name = target.split("/")
        sees = level != REVOKED and level >= 1
        actions = expected_actions(level, actor, target)
        where = f"{actor} on {target}"

        # Pages (robots come as anonymous: they cannot sign in).
        page_sees = sees and bool(asker.cookie)
        for path in (f"/r/{target}/", f"/r/{target}/tags/", f"/r/{target}/builds/"):
            assert page_status(asker, path) == (200 if page_sees else 404), f"{where}: {path}"
        assert websocket_allowed(asker, world.builds[target]) is page_sees, f"{where}: websocket"
        search = asker.page.get("/search/", {"q": world.repos[target].description})
        assert (target in search.content.decode()) is page_sees, f"{where}: hub search"
        profile = asker.page.get("/u/alice/")
        if target == USER_REPO:
            assert (target in profile.content.decode()) is page_sees, f"{where}: profile"

        # REST API with the actor's own credential.
        rest = asker.api.get(f"/api/v2/repositories/{target}/")
        if revoked:
            assert rest.status_code == 401, where
        elif sees:
            assert rest.status_code == 200, f"{where}: {rest.content}"
            assert rest.json()["permissions"] == {
                "read": True,
                "write": level >= 2,
                "admin": level >= 3 and actor not in world.robots,
            }, where
        else:
            assert rest.status_code == 404, f"{where}: {rest.content}"
        for tail in ("tags/", "builds/"):
            status = asker.api.get(f"/api/v2/repositories/{target}/{tail}").status_code
            assert status == (401 if revoked else 200 if sees else 404), f"{where}: REST {tail}"
        listing = asker.api.get(f"/api/v2/repositories/{ns}/")
        if revoked:
            assert listing.status_code == 401
        else:
            names = [row["name"] for row in listing.json()["results"]]
            assert (name in names) is sees, f"{where}: namespace listing"
        found = asker.api.get(
            "/api/v2/search/repositories/", {"query": world.repos[target].description}
        )
        if not revoked:
            assert (found.json()["count"] == 1) is sees, f"{where}: REST search"

        # Registry: the token grants exactly the actions the level allows.
        status, body = asker.token(f"repository:{target}:pull,push,delete")
        if revoked:
            assert status == 401, where
            continue
        granted = tokens.verify(body["token"]).access.get(("repository", target), set())
        assert set(granted) == actions, f"{where}: token {granted}"
        pull = Client().get(
            f"/v2/{target}/manifests/v1", **asker.bearer(f"repository:{target}:pull")
        )
        anonymous = actor == "anonymous"
        assert pull.status_code == (200 if sees else 401 if anonymous else 404), f"{where}: pull"
        push = Client().post(
            f"/v2/{target}/blobs/uploads/", **asker.bearer(f"repository:{target}:pull,push")
        )
        may_push = "push" in actions
        assert push.status_code == (202 if may_push else 401 if anonymous else 403), where
        if push.status_code == 403:
            assert json.loads(push.content)["errors"][0]["code"] == "DENIED"
        missing = "sha256:" + uuid.uuid4().hex * 2
        delete = Client().delete(
            f"/v2/{target}/manifests/{missing}", **asker.bearer(f"repository:{target}:delete")
        )
        code = json.loads(delete.content)["errors"][0]["code"]
        if "delete" in actions:
            assert (delete.status_code, code) == (404, "MANIFEST_UNKNOWN"), where
        else:
            assert delete.status_code == (401 if anonymous else 403), f"{where}: delete"
        catalog = Client().get("/v2/_catalog", **asker.bearer("registry:catalog:*"))
        assert (target in catalog.json()["repositories"]) is sees, f"{where}: catalog"
        headers = {"HTTP_AUTHORIZATION": asker.registry_auth} if asker.registry_auth else {}
        v1 = Client().get("/v1/search", {"q": world.repos[target].description}, **headers)
        names = [row["name"] for row in v1.json()["results"]]
        assert (target in names) is sees, f"{where}: /v1/search"

    # What everyone may see stays visible to all (revoked credentials aside).
    if not revoked:
        public = asker.api.get("/api/v2/repositories/alice/public/")
        assert public.status_code == 200
