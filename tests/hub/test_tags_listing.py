"""The Tags tab at scale: 25 tags a page, ?name= filter, sort by name or last pushed, multi-arch
rows with one size per platform — and a fixed number of queries with 5,000 tags."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from hub.models import Manifest, ManifestChild, Tag
from hub.templatetags.repositories import layer_size
from tests.factories import UserFactory
from tests.hub.conftest import make_repo, push_image, push_multi_arch
from tests.hub.tagseed import AMD64_SIZE, ARM64_SIZE, seed_tags

MANY = 5_000


def main(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def tag_names(page: str) -> list[str]:
    return re.findall(r'<a class="tag-name" href="[^"]+">([^<]+)</a>', page)


@pytest.fixture(scope="module")
def big_repo(django_db_setup, django_db_blocker):
    """tagmaster/big with 5,000 tags v00000…v04999, v04999 pushed last; every fifth
    multi-arch. Seeded once for the module (seconds, not a second per test), committed, and
    removed afterwards; each test's own writes still roll back."""
    with django_db_blocker.unblock():
        owner = UserFactory(username="tagmaster")
        repo = make_repo(owner, "big")
        seed_tags(repo, MANY)
    yield repo
    with django_db_blocker.unblock():
        # One statement per table: a queryset delete sends the registry cache's pre_delete
        # signal (hub/registry/fastpath/signals.py) row by row, 12,000 times. Seeding sent none.
        children, tags, manifests = (m._meta.db_table for m in (ManifestChild, Tag, Manifest))
        in_repo = f"SELECT id FROM {manifests} WHERE repository_id = %s"
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {children} WHERE parent_id IN ({in_repo})", [repo.pk])
            cursor.execute(f"DELETE FROM {tags} WHERE repository_id = %s", [repo.pk])
            cursor.execute(f"DELETE FROM {manifests} WHERE repository_id = %s", [repo.pk])
        owner.delete()


@pytest.fixture
def owner(db, big_repo):
    return big_repo.namespace.owner


def test_tags_tab_shows_25_tags_a_page_newest_first(client, db, big_repo):
    page = main(client.get("/r/tagmaster/big/tags/"))
    assert tag_names(page) == [f"v{i:05d}" for i in range(4999, 4974, -1)]
    assert "1–25 of 5,000 tags" in page
    assert "Page 1 of 200" in page
    assert 'rel="next" href="?page=2"' in page
    assert 'rel="prev"' not in page


def test_tags_tab_pages_on_to_the_last_page(client, db, big_repo):
    page = main(client.get("/r/tagmaster/big/tags/", {"page": 200}))
    assert tag_names(page) == [f"v{i:05d}" for i in range(24, -1, -1)]
    assert "4,976–5,000 of 5,000 tags" in page
    assert 'rel="prev" href="?page=199"' in page
    assert 'rel="next"' not in page


@pytest.mark.parametrize("asked", ["0", "-3", "lots", "999999"])
def test_a_page_out_of_range_shows_the_nearest_one(client, db, big_repo, asked):
    page = main(client.get("/r/tagmaster/big/tags/", {"page": asked}))
    assert len(tag_names(page)) == 25


def test_tags_tab_filters_by_name(client, db, big_repo):
    page = main(client.get("/r/tagmaster/big/tags/", {"name": "v0012"}))
    # v00120…v00129, newest first; the filter is kept in the form and the page links.
    assert tag_names(page) == [f"v{i:05d}" for i in range(129, 119, -1)]
    assert "1–10 of 10 tags matching “v0012”" in page
    assert 'name="name" value="v0012"' in page


def test_the_name_filter_ignores_case_and_keeps_order_and_pages(client, db, big_repo):
    page = main(
        client.get("/r/tagmaster/big/tags/", {"name": "V01", "ordering": "name", "page": 2})
    )
    assert tag_names(page) == [f"v{i:05d}" for i in range(1025, 1050)]
    assert "26–50 of 1,000 tags" in page
    assert 'href="?name=V01&amp;ordering=name&amp;page=3"' in page


def test_a_filter_matching_nothing_says_so(client, db, big_repo):
    page = main(client.get("/r/tagmaster/big/tags/", {"name": "nightly"}))
    assert "No tag matches “nightly”" in page
    assert '<a href="?">Show all tags</a>' in page


@pytest.mark.parametrize(
    "ordering, first, last",
    [
        ("name", "v00000", "v00024"),
        ("-name", "v04999", "v04975"),
        ("updated", "v00000", "v00024"),
        ("-updated", "v04999", "v04975"),
    ],
)
def test_tags_tab_sorts_by_name_or_last_pushed(client, db, big_repo, ordering, first, last):
    names = tag_names(main(client.get("/r/tagmaster/big/tags/", {"ordering": ordering})))
    assert (names[0], names[-1], len(names)) == (first, last, 25)


def test_sort_by_last_pushed_is_by_push_time_not_name(client, alice):
    repo = make_repo(alice, "few")
    earlier = timezone.now() - timedelta(hours=1)
    seed_tags(repo, 3, prefix="b", start=earlier)
    seed_tags(repo, 2, prefix="a")  # pushed after the b tags
    names = tag_names(main(client.get("/r/alice/few/tags/", {"ordering": "-updated"})))
    assert names == ["a00001", "a00000", "b00002", "b00001", "b00000"]
    names = tag_names(main(client.get("/r/alice/few/tags/", {"ordering": "name"})))
    assert names == ["a00000", "a00001", "b00000", "b00001", "b00002"]


def test_sorting_starts_again_at_page_one(client, db, big_repo):
    page = main(client.get("/r/tagmaster/big/tags/", {"name": "v0", "page": 3, "ordering": "name"}))
    assert 'href="?name=v0&amp;ordering=-name">Tag <span aria-hidden="true">▲</span>' in page
    assert 'href="?name=v0&amp;ordering=updated">Last pushed</a>' in page
    assert '<option value="name" selected>Name (A–Z)</option>' in page


def test_the_tags_tab_does_not_sort_by_a_summed_size(client, db, big_repo):
    # A multi-arch tag has one size per platform; "size" is no order the page offers.
    names = tag_names(main(client.get("/r/tagmaster/big/tags/", {"ordering": "-size"})))
    assert names[0] == "v04999"  # newest first, the default
    assert "ordering=size" not in main(client.get("/r/tagmaster/big/tags/"))


def test_multi_arch_rows_show_n_platforms_each_with_its_own_size(client, db, big_repo):
    page = main(client.get("/r/tagmaster/big/tags/", {"name": "v04995"}))
    assert '<div class="platform-count">2 platforms</div>' in page
    assert (
        '<li><span class="platform">linux/amd64</span> <span class="platform-size hide-narrow"'
        f' data-bytes="{AMD64_SIZE}">{layer_size(AMD64_SIZE)}</span></li>'
    ) in page
    assert (
        '<li><span class="platform">linux/arm64/v8</span> <span class="platform-size hide-narrow"'
        f' data-bytes="{ARM64_SIZE}">{layer_size(ARM64_SIZE)}</span></li>'
    ) in page
    assert layer_size(AMD64_SIZE + ARM64_SIZE) not in page  # "6 MB": never summed
    single = main(client.get("/r/tagmaster/big/tags/", {"name": "v04996"}))
    assert "platform-count" not in single
    assert f'data-bytes="{AMD64_SIZE}">3.1 MB</span>' in single


def test_sizes_on_the_tags_tab_read_as_the_docker_cli_prints_them(client, alice):
    push_image("alice/app:v1")
    push_multi_arch("alice/app:multi")
    rows = main(client.get("/r/alice/app/tags/")).split("<tbody>", 1)[1]
    sizes = re.findall(r'data-bytes="(\d+)">([^<]+)</span>', rows)
    assert len(sizes) == 3  # v1, and each platform of multi
    assert all(shown == layer_size(int(n)) for n, shown in sizes)
    assert not re.search(r"\d (bytes|KB|KiB)", rows)


def test_an_attestation_entry_is_no_platform(client, alice):
    push_multi_arch("alice/app:multi")
    ManifestChild.objects.filter(architecture="arm64").update(os="unknown", architecture="unknown")
    page = main(client.get("/r/alice/app/tags/"))
    assert '<div class="platform-count">1 platform</div>' in page
    assert "unknown" not in page


# --- queries: the same few however many tags there are ---


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"page": "117"},
        {"page": "200", "ordering": "name"},
        {"name": "v03", "ordering": "-name"},
        {"name": "0", "ordering": "updated", "page": "40"},
    ],
)
def test_tags_tab_runs_a_fixed_number_of_queries_with_5000_tags(
    client, owner, django_assert_num_queries, query
):
    # The repository, how many tags match (the pages), one page of tags with their manifests,
    # the platforms of that page's indexes. Signed out: no star or permission lookups.
    with django_assert_num_queries(4):
        client.get("/r/tagmaster/big/tags/", query)
    client.force_login(owner)
    # Signed in: session, user, the user menu's organizations, has alice starred it.
    with django_assert_num_queries(4 + 4):
        response = client.get("/r/tagmaster/big/tags/", query)
    assert response.status_code == 200
    assert "Delete tag" in response.content.decode()


def test_the_api_filters_tags_by_name_as_docker_hub_does(client, db, big_repo):
    response = client.get("/api/v2/repositories/tagmaster/big/tags/", {"name": "v0012"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 10
    assert [tag["name"] for tag in body["results"]][:2] == ["v00129", "v00128"]
