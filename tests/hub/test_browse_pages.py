"""Finding repositories: Search, Explore, the signed-in home page and profiles."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from hub.models import Repository
from hub.services import repository_create, star_add
from tests.hub.conftest import make_repo


def main(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def names(page: str) -> list[str]:
    """The repositories listed, in order, by their link text."""
    return re.findall(r'class="repo-name" href="[^"]+">([^<]+)</a>', page)


@pytest.fixture
def catalogue(alice, bob, staff):
    """A few repositories with different stars, pulls, flags and update times."""
    now = timezone.now()
    rows = [
        (staff, "library", "nginx", "Official build of Nginx", 50, 9000, False, 3),
        (alice, "alice", "nginx-proxy", "Automated reverse proxy", 20, 100, True, 1),
        (bob, "bob", "webapp", "Serves nginx configs", 5, 5000, False, 2),
        (bob, "bob", "db", "A database", 1, 10, True, 0),
    ]
    for user, namespace, name, description, stars, pulls, automated, age in rows:
        repo = repository_create(user=user, namespace=namespace, name=name, description=description)
        Repository.objects.filter(pk=repo.pk).update(
            star_count=stars,
            pull_count=pulls,
            is_automated=automated,
            updated_at=now - timedelta(days=age),
        )


# --- search ---


def test_search_matches_namespace_name_and_description(client, catalogue):
    assert names(main(client.get("/search/", {"q": "nginx"}))) == [
        "nginx",
        "alice/nginx-proxy",
        "bob/webapp",
    ]
    assert names(main(client.get("/search/", {"q": "bob"}))) == ["bob/webapp", "bob/db"]
    assert names(main(client.get("/search/", {"q": "database"}))) == ["bob/db"]


def test_search_rows_show_the_five_columns_plus_pulls_and_updated(client, catalogue):
    page = main(client.get("/search/", {"q": "nginx"}))
    row = page[page.index('href="/_/nginx/"') :]
    row = row[: row.index("</li>")]
    assert ">nginx</a>" in row  # the official one by its short name
    assert '<span class="badge badge-official">Official</span>' in row
    assert "Official build of Nginx" in row
    assert '<dt>Stars</dt><dd><span aria-hidden="true">★</span> 50</dd>' in row
    assert "<dt>Pulls</dt><dd>9K</dd>" in row
    assert ">3\xa0days ago</time>" in row
    proxy = page[page.index('href="/r/alice/nginx-proxy/"') :]
    assert '<span class="badge badge-automated">Automated</span>' in proxy[: proxy.index("</li>")]


def test_search_filters_official_and_automated(client, catalogue):
    assert names(main(client.get("/search/", {"official": "1"}))) == ["nginx"]
    assert names(main(client.get("/search/", {"automated": "1"}))) == [
        "alice/nginx-proxy",
        "bob/db",
    ]
    page = main(client.get("/search/", {"q": "nginx", "automated": "1", "official": "1"}))
    assert names(page) == []
    assert "No repositories match “nginx”" in page
    assert '<input type="checkbox" name="official" value="1" checked>' in page


@pytest.mark.parametrize(
    "ordering, expected",
    [
        ("stars", ["nginx", "alice/nginx-proxy", "bob/webapp", "bob/db"]),
        ("pulls", ["nginx", "bob/webapp", "alice/nginx-proxy", "bob/db"]),
        ("updated", ["bob/db", "alice/nginx-proxy", "bob/webapp", "nginx"]),
        ("nonsense", ["nginx", "alice/nginx-proxy", "bob/webapp", "bob/db"]),
    ],
)
def test_search_sorts(client, catalogue, ordering, expected):
    assert names(main(client.get("/search/", {"ordering": ordering}))) == expected


def test_search_keeps_the_chosen_sort_selected(client, catalogue):
    page = main(client.get("/search/", {"ordering": "pulls"}))
    assert '<option value="pulls" selected>Most pulls</option>' in page


def test_search_paginates_25_a_page(client, alice):
    for i in range(30):
        make_repo(alice, f"svc{i:02d}", description="A service")
    first = main(client.get("/search/", {"q": "service", "ordering": "updated"}))
    assert len(names(first)) == 25
    assert "30 repositories · page 1 of 2" in first
    assert 'rel="next" href="?q=service&amp;ordering=updated&amp;page=2"' in first
    second = main(client.get("/search/", {"q": "service", "ordering": "updated", "page": "2"}))
    assert len(names(second)) == 5
    assert 'rel="prev" href="?q=service&amp;ordering=updated&amp;page=1"' in second
    assert set(names(first)).isdisjoint(names(second))


@pytest.mark.parametrize("page_number", ["999", "zero", "-1"])
def test_search_answers_any_page_number(client, catalogue, page_number):
    response = client.get("/search/", {"page": page_number})
    assert response.status_code == 200
    assert names(main(response))


def test_empty_hub_search_says_so(client, db):
    assert "No repositories yet" in main(client.get("/search/"))


def test_search_escapes_the_query(client, catalogue):
    page = client.get("/search/", {"q": '"><script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


# --- explore and home ---


def test_explore_shows_official_most_starred_most_pulled_and_recent(client, catalogue):
    page = main(client.get("/explore/"))
    sections = {}
    for title in ("Official images", "Most starred", "Most pulled", "Recently updated"):
        start = page.index(f"<h2>{title}</h2>")
        sections[title] = names(page[start : page.index("</section>", start)])
    assert sections["Official images"] == ["nginx"]
    assert sections["Most starred"][:2] == ["nginx", "alice/nginx-proxy"]
    assert sections["Most pulled"][:2] == ["nginx", "bob/webapp"]
    assert sections["Recently updated"][0] == "bob/db"
    assert 'href="/search/?official=1&amp;ordering=pulls">See all</a>' in page


def test_explore_of_an_empty_hub_explains_how_to_push(client, db):
    page = main(client.get("/explore/"))
    assert "No public repositories yet" in page
    assert "docker push localhost:8000/you/app:latest" in page


def test_home_for_a_signed_in_user_shows_the_explore_sections(client, alice, catalogue):
    client.force_login(alice)
    page = main(client.get("/"))
    assert "Welcome back, alice" in page
    assert "<h2>Official images</h2>" in page
    assert 'href="/repositories/new/">New repository</a>' in page


# --- profiles ---


def test_profile_lists_the_users_repositories_and_stars(client, alice, bob, catalogue):
    star_add(user=alice, repository=Repository.objects.get(name="webapp"))
    page = main(client.get("/u/alice/"))
    repos = page[page.index("<h2>Repositories</h2>") : page.index("<h2>Starred</h2>")]
    starred = page[page.index("<h2>Starred</h2>") :]
    assert names(repos) == ["alice/nginx-proxy"]
    assert names(starred) == ["bob/webapp"]


def test_profile_without_repositories_or_stars(client, alice, bob):
    page = main(client.get("/u/bob/"))
    assert "bob has no public repositories yet." in page
    assert "bob has not starred any repositories yet." in page
    client.force_login(bob)
    page = main(client.get("/u/bob/"))
    assert "You have no repositories yet." in page
    assert 'href="/repositories/new/">New repository</a>' in page


def test_profile_lists_50_and_points_to_search_for_more(client, alice):
    for i in range(51):
        make_repo(alice, f"r{i:02d}")
    page = main(client.get("/u/alice/"))
    assert page.count('class="repo-row"') == 50
    assert 'href="/search/?q=alice/">Search all of alice’s repositories</a>' in page
