import pytest

from hub.models import Repository
from tests.api.conftest import make_repo

SEARCH = "/api/v2/search/repositories/"


@pytest.fixture
def catalogue(user, staff):
    make_repo(staff, "nginx", namespace="library", description="Official web server")
    make_repo(user, "nginx-proxy", description="Reverse proxy on nginx")
    make_repo(user, "tools", description="Build helpers with nginx configs")
    make_repo(user, "redis")
    Repository.objects.filter(name="nginx-proxy").update(star_count=50, pull_count=5)
    Repository.objects.filter(name="tools").update(is_automated=True, pull_count=900)


def names(response):
    assert response.status_code == 200
    return [r["repo_name"] for r in response.json()["results"]]


def test_search_ranks_the_exact_name_first_with_the_five_columns(api, user, catalogue):
    body = api.get(SEARCH, {"query": "nginx"}).json()

    assert body["count"] == 3
    first = body["results"][0]
    assert first["repo_name"] == "nginx"  # official: the short name
    assert first["short_description"] == "Official web server"
    assert first["is_official"] is True and first["is_automated"] is False
    assert first["is_private"] is False
    assert {"star_count", "pull_count", "last_updated", "namespace", "name"} <= set(first)
    assert names(api.get(SEARCH, {"query": "nginx"}))[1] == f"{user.username}/nginx-proxy"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"query": "nginx", "is_official": "true"}, ["nginx"]),
        ({"query": "nginx", "is_official": "false", "ordering": "stars"}, ["nginx-proxy", "tools"]),
        ({"query": "nginx", "is_automated": "true"}, ["tools"]),
        ({"query": "nginx", "ordering": "pulls"}, ["tools", "nginx-proxy", "nginx"]),
        ({"query": "nginx", "ordering": "stars"}, ["nginx-proxy", "tools", "nginx"]),
        ({"query": "helpers configs"}, ["tools"]),
        ({"query": "nothing-like-this"}, []),
    ],
)
def test_search_filters_and_orderings(api, catalogue, params, expected):
    assert [n.rpartition("/")[2] for n in names(api.get(SEARCH, params))] == expected


def test_search_matches_namespace_slash_name(api, user, catalogue):
    assert names(api.get(SEARCH, {"query": f"{user.username}/red"})) == [f"{user.username}/redis"]


def test_empty_query_lists_everything_visible(api, catalogue):
    assert api.get(SEARCH).json()["count"] == 4


@pytest.mark.parametrize(
    ("params", "field"),
    [({"ordering": "random"}, "ordering"), ({"is_official": "maybe"}, "is_official")],
)
def test_bad_search_parameters_say_which(api, db, params, field):
    response = api.get(SEARCH, params)
    assert response.status_code == 400
    assert response.json()[field]


def test_null_characters_in_the_query_are_refused(api, db):
    response = api.get(SEARCH, {"query": "ng\x00inx"})
    assert response.status_code == 400
    assert response.json()["query"] == ["Null characters are not allowed."]
