"""The pages of the pull-through cache's repositories: a "Cached from" badge wherever the
repository is shown, pull commands but never push ones, and the cache's own visibility rules.

Each cached repository is made as a pull makes it: an image pushed into a real docker-registry
upstream, then fetched through ``proxy.cache.manifest_get`` (the registry view's call).
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hub.models import Repository, Tag
from proxy import cache, routes
from proxy.evict import evict_unpulled
from proxy.models import CachedManifest
from proxy.services import upstream_create
from tests.factories import UserFactory
from tests.hub.conftest import make_repo

pytestmark = pytest.mark.integration

PAGE = "/r/hubcache/library/app/"
HOST = "hub.example.test"


def cache_of(upstream, **fields):
    values = {"name": "local", "url": upstream.url, "namespace": "hubcache", **fields}
    return upstream_create(**values)


def cached_pull(name: str, reference: str = "v1") -> Repository:
    """What a client's manifest GET of ``name:reference`` does: the cached repository."""
    repository, _ = cache.manifest_get(route=routes.route_for(name), reference=reference)
    return repository


def badge(upstream) -> str:
    return f'<span class="badge badge-cached" title="{upstream.url}">Cached from local</span>'


def tabs(html: str) -> list[str]:
    """The labels of the repository's tabs."""
    nav = re.search(r'<nav class="tabs" aria-label="Repository">(.*?)</nav>', html, re.S)
    return re.findall(r">([^<>]+)</a>", nav.group(1))


@pytest.fixture
def app(upstream, transactional_db):
    """hubcache/library/app:v1, cached from a signed-in-only upstream."""
    upstream.push_image("library/app", "v1", layers=1)
    cache_of(upstream)
    return cached_pull("hubcache/library/app")


@pytest.fixture(autouse=True)
def _pages(settings):
    """Pull commands name HOST; people sign in with force_login (no slow password hashing)."""
    settings.WHARF_URL = f"https://{HOST}"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def carol(transactional_db):
    return UserFactory(username="carol")


@pytest.fixture
def dave(transactional_db):
    return UserFactory(username="dave")


def test_a_cached_repository_shows_where_it_is_cached_from(client, upstream, app, carol):
    client.force_login(carol)
    html = client.get(PAGE).content.decode()
    assert badge(upstream) in html
    assert f'<code id="pull-command">docker pull {HOST}/hubcache/library/app</code>' in html
    assert "docker push" not in html
    assert tabs(html) == ["Overview", "Tags"]  # no builds, no settings of its own
    assert f"A cache of <code>library/app</code> from <code>{upstream.url}</code>" in html


def test_a_cached_tag_is_listed_with_its_pull_command_and_no_delete_control(
    client, upstream, app, carol
):
    client.force_login(carol)
    html = client.get(PAGE + "tags/").content.decode()
    assert badge(upstream) in html
    assert f"docker pull {HOST}/hubcache/library/app:v1" in html
    assert "/tags/v1/delete/" not in html
    assert "docker push" not in html


def test_a_second_signed_in_user_sees_the_cache_but_no_settings_or_delete(
    client, upstream, app, carol, dave
):
    client.force_login(carol)
    assert client.get(PAGE).status_code == 200
    client.force_login(dave)
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert badge(upstream) in html
    assert "Settings" not in tabs(html)
    assert "Upstream settings" not in html  # staff only
    assert "/tags/v1/delete/" not in client.get(PAGE + "tags/").content.decode()
    assert client.get(PAGE + "settings/").status_code == 404
    response = client.post(PAGE + "delete/", {"confirm": "hubcache/library/app"})
    assert response.status_code == 404
    assert Repository.objects.filter(pk=app.pk).exists()


def test_staff_are_sent_to_the_upstream_rather_than_to_settings(client, upstream, app):
    staff = UserFactory(username="root1", is_staff=True)
    client.force_login(staff)
    html = client.get(PAGE).content.decode()
    assert '<a href="/-/upstreams/local/">Upstream settings</a>' in html
    assert "Settings" not in tabs(html)


def test_anonymous_visitors_get_a_404_for_a_signed_in_only_cache(client, app, carol):
    for path in (PAGE, PAGE + "tags/", PAGE + "tags/v1/"):
        assert client.get(path).status_code == 404
    assert "hubcache/library/app" not in client.get("/search/?q=app").content.decode()
    client.force_login(carol)
    for path in (PAGE, PAGE + "tags/", PAGE + "tags/v1/"):
        assert client.get(path).status_code == 200


def test_anonymous_visitors_see_a_public_cache(client, upstream, transactional_db):
    upstream.push_image("library/app", "v1", layers=1)
    cache_of(upstream, pull_access="public")
    cached_pull("hubcache/library/app")
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert badge(upstream) in html
    assert "Private" not in html
    assert (
        f"docker pull {HOST}/hubcache/library/app:v1" in client.get(PAGE + "tags/").content.decode()
    )


def test_search_lists_a_cached_repository_with_its_badge(client, upstream, app, carol):
    mine = make_repo(carol, "app-tools", description="An app of carol's")
    client.force_login(carol)
    html = client.get("/search/?q=app").content.decode()
    rows = re.findall(r'<li class="repo-row">.*?</li>', html, re.S)
    by_name = {re.search(r'class="repo-name"[^>]*>([^<]+)</a>', row).group(1): row for row in rows}
    assert set(by_name) == {"hubcache/library/app", mine.display_name}
    assert badge(upstream) in by_name["hubcache/library/app"]
    assert "Private" in by_name["hubcache/library/app"]  # signed-in only
    assert "badge-cached" not in by_name[mine.display_name]


def test_explore_shows_the_badge_on_a_cached_repository(client, upstream, app, carol):
    client.force_login(carol)
    html = client.get("/explore/").content.decode()
    assert badge(upstream) in html


def test_lists_of_cached_repositories_run_a_fixed_number_of_queries(client, upstream, carol):
    """One upstream or three, the badge's upstream comes in the list's own query."""
    upstream.push_image("library/app", "v1", layers=1)
    cache_of(upstream)
    cached_pull("hubcache/library/app")
    client.force_login(carol)

    def counted(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200
        return len(captured)

    before = {path: counted(path) for path in ("/search/?q=app", "/explore/")}
    for i in (2, 3):
        cache_of(upstream, name=f"local{i}", namespace=f"hubcache{i}")
        cached_pull(f"hubcache{i}/library/app")
    html = client.get("/search/?q=app").content.decode()
    assert html.count("badge-cached") == 3
    assert {path: counted(path) for path in before} == before


def test_an_emptied_cache_says_to_pull_not_to_push(client, app, carol, settings):
    manifest = Tag.objects.get(repository=app, name="v1").manifest
    CachedManifest.objects.filter(manifest=manifest).update(
        pulled_at=timezone.now() - timedelta(days=40)
    )
    assert evict_unpulled(days=30) == 1
    client.force_login(carol)
    html = client.get(PAGE + "tags/").content.decode()
    assert "No tags yet" in html
    assert "Pull an image through this cache to fill it:" in html
    assert f"docker pull {HOST}/hubcache/library/app:latest" in html
    assert "docker push" not in html
