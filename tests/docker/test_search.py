"""`docker search HOST/term`: Wharf's /v1/search gives the CLI its name, description, stars and
official columns; the CLI's own filters and --limit then work on what Wharf answered."""

import pytest

from hub.services import repository_create, star_add
from tests.factories import UserFactory

pytestmark = pytest.mark.integration

FORMAT = "{{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}"


@pytest.fixture
def proxies(transactional_db, alice):
    """Public proxies with 1, 3 and 0 stars (the first official), a private one, and a
    repository whose description only mentions proxies."""
    staff = UserFactory(username="staff", is_staff=True)
    official = repository_create(
        user=staff, namespace="library", name="proxy", description="The official proxy"
    )
    popular = repository_create(
        user=alice, namespace="alice", name="proxy-cache", description="A caching proxy"
    )
    repository_create(user=alice, namespace="alice", name="proxy-lab", description="Untested")
    repository_create(user=alice, namespace="alice", name="proxy-secret", is_private=True)
    repository_create(user=alice, namespace="alice", name="db", description="Not a proxy")
    fans = UserFactory.create_batch(3)
    for fan in fans:
        star_add(user=fan, repository=popular)
    star_add(user=fans[0], repository=official)
    return official, popular


def search(docker, *args) -> list[list[str]]:
    out = docker("search", "--no-trunc", "--format", FORMAT, *args).stdout
    return [line.split("\t") for line in out.splitlines()]


def test_docker_search_shows_name_description_stars_and_official(docker, proxies):
    rows = search(docker, docker.ref("proxy"))
    by_name = {row[0]: row[1:] for row in rows}
    assert by_name["proxy"] == ["The official proxy", "1", "[OK]"]
    assert by_name["alice/proxy-cache"] == ["A caching proxy", "3", ""]
    assert by_name["alice/proxy-lab"] == ["Untested", "0", ""]
    assert "alice/proxy-secret" not in by_name  # private: not for anonymous callers
    assert by_name["alice/db"] == ["Not a proxy", "0", ""]  # matched by its description
    # The table the CLI prints by default has the seed's five columns.
    table = docker("search", docker.ref("proxy")).stdout.splitlines()
    assert table[0].split() == ["NAME", "DESCRIPTION", "STARS", "OFFICIAL", "AUTOMATED"]


def test_docker_search_sees_ones_own_private_repository_once_logged_in(docker, proxies):
    docker.login("alice")
    names = [row[0] for row in search(docker, docker.ref("proxy"))]
    assert "alice/proxy-secret" in names


def test_docker_search_filters_official_and_stars(docker, proxies):
    official = search(docker, "--filter", "is-official=true", docker.ref("proxy"))
    assert [row[0] for row in official] == ["proxy"]

    starred = search(docker, "--filter", "stars=2", docker.ref("proxy"))
    assert [row[0] for row in starred] == ["alice/proxy-cache"]


def test_docker_search_limit(docker, proxies):
    assert len(search(docker, docker.ref("proxy"))) >= 3
    assert len(search(docker, "--limit", "2", docker.ref("proxy"))) == 2
