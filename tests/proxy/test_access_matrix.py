"""Every kind of actor at every door of a cached repository and of the upstreams' settings, with
real users: reads for everyone signed in (robots too), nothing for anonymous callers of a
signed-in-only cache, pushes for nobody, and the upstreams' API and pages for staff alone."""

import base64

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from hub.models import Repository
from orgs import robots, services
from proxy.cache import manifest_get
from proxy.routes import route_for
from proxy.services import upstream_create
from tests.api.conftest import as_token, signed_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

NAME = "hubcache/library/app"
MANIFEST = b'{"schemaVersion": 2}'


def basic(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


@pytest.fixture
def world(upstream):
    upstream.push_image("library/app", "v1", layers=1)
    upstream_create(name="local", url=upstream.url, namespace="hubcache")
    manifest_get(route=route_for(NAME), reference="v1")  # the cache holds library/app:v1
    owner = UserFactory(username="olga")
    org = services.org_create(user=owner, name="acme", full_name="Acme")
    robot, secret = robots.robot_create(
        namespace=org, name="ci", created_by=owner, repositories=["*"], actions=["pull", "push"]
    )
    return {
        "anonymous": None,
        "stranger": (UserFactory(username="sam").username, PASSWORD),
        "robot": (robot.full_name, secret),
        "staff": (UserFactory(username="root2", is_staff=True).username, PASSWORD),
    }


def registry_client(credential, actions: str) -> Client:
    headers = {"HTTP_AUTHORIZATION": basic(*credential)} if credential else {}
    answer = Client().get(f"/token?service=testserver&scope=repository:{NAME}:{actions}", **headers)
    assert answer.status_code == 200, answer.content
    return Client(HTTP_AUTHORIZATION=f"Bearer {answer.json()['token']}")


# actor: (repository page, manifest GET, manifest PUT, upstreams API, upstreams page)
EXPECTED = {
    "anonymous": (404, 401, 401, 401, 302),
    "stranger": (200, 200, 403, 403, 403),
    "robot": (None, 200, 403, 403, None),  # robots have no session: no pages
    "staff": (200, 200, 403, 200, 200),
}


@pytest.mark.parametrize("actor", list(EXPECTED))
def test_every_door_of_a_cached_repository(world, actor):
    credential = world[actor]
    page, pull, push, api, settings_page = EXPECTED[actor]
    session = Client()
    if credential and actor != "robot":
        assert session.login(username=credential[0], password=credential[1])
    if page is not None:
        assert session.get(f"/r/{NAME}/").status_code == page
        assert session.get("/-/upstreams/").status_code == settings_page
    registry = registry_client(credential, "pull,push")
    assert registry.get(f"/v2/{NAME}/manifests/v1").status_code == pull
    pushed = registry.put(
        f"/v2/{NAME}/manifests/v2",
        MANIFEST,
        content_type="application/vnd.oci.image.manifest.v1+json",
    )
    assert pushed.status_code == push, pushed.content
    if push == 403:
        assert "pull-through cache" in pushed.json()["errors"][0]["message"]
    if actor == "robot":
        api_client = as_token(credential[1])
    elif credential:
        api_client = signed_in(User.objects.get(username=credential[0]))
    else:
        api_client = APIClient()
    assert api_client.get("/api/v2/upstreams/").status_code == api
    assert not Repository.objects.filter(name="library/app", tags__name="v2").exists()
