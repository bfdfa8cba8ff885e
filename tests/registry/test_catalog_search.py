"""`podman search HOST/` with no term: podman lists the catalog with the token it got for no
scope at all, so that token carries the catalog, and the catalog lists what its holder may see."""

import pytest

from hub.models import Repository
from hub.services import repository_create
from tests.factories import UserFactory, make_token
from tests.registry.conftest import basic, make_image

# The catalog and search: they list repositories, and read no blob.
pytestmark = pytest.mark.store_independent


def _search(clients, *args) -> list[str]:
    out = clients.podman(
        "search", "--tls-verify=false", "--format", "{{.Name}}", *args, f"{clients.host}/"
    ).stdout
    return out.split()


@pytest.fixture
def catalog(clients, owner, tmp_path):
    """The owner's public and private repository, and someone else's private one."""
    user, raw = owner
    clients.login(user.username, raw)
    image = make_image(tmp_path / "image", layers=1)
    for name in ("public", "private"):
        target = f"docker://{clients.host}/{user.username}/{name}:v1"
        clients.skopeo("copy", "--dest-tls-verify=false", f"oci:{image}:v1", target)
    Repository.objects.filter(name="private").update(is_private=True)
    stranger = UserFactory()
    repository_create(user=stranger, namespace=stranger.username, name="hidden", is_private=True)
    return user, stranger


def test_podman_search_with_an_empty_term_lists_what_a_signed_in_user_may_see(clients, catalog):
    user, _ = catalog
    names = _search(clients)
    assert names == [
        f"{clients.host}/{user.username}/private",
        f"{clients.host}/{user.username}/public",
    ]


def test_podman_search_with_an_empty_term_signed_out_lists_public_repositories(clients, catalog):
    user, _ = catalog
    clients.podman("logout", "--all")
    assert _search(clients) == [f"{clients.host}/{user.username}/public"]


def test_a_token_asked_for_no_scope_carries_the_catalog_and_lists_what_one_may_see(
    registry, catalog
):
    user, stranger = catalog
    http = registry.http
    _, stranger_raw = make_token(stranger, description="laptop")
    for auth, expected in (
        (None, [f"{user.username}/public"]),
        (
            basic(stranger.username, stranger_raw),
            [f"{stranger.username}/hidden", f"{user.username}/public"],
        ),
    ):
        headers = {"Authorization": auth} if auth else {}
        status, _, body = http.json("GET", "/token?service=x", headers=headers)
        assert status == 200
        bearer = {"Authorization": f"Bearer {body['token']}"}
        status, _, listing = http.json("GET", "/v2/_catalog", headers=bearer)
        assert status == 200, listing
        assert listing["repositories"] == sorted(expected)
