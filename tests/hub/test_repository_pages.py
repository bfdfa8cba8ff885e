"""The repository page and its tabs: Overview, Tags, tag page, Builds; stars; official names."""

import json

import pytest

from hub.models import Blob, Repository, Tag
from hub.services import repository_create
from hub.tasks import layers_measure
from hub.templatetags.repositories import layer_size
from tests.hub.conftest import make_repo, push_image


def main(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def test_repository_page_shows_name_description_counts_and_pull_command(client, public_repo):
    Repository.objects.filter(pk=public_repo.pk).update(star_count=3, pull_count=12_345)
    response = client.get("/r/alice/web/")
    page = main(response)
    assert response.status_code == 200
    assert '<span class="repo-ns">alice/</span>web' in page
    assert "The public web server" in page
    assert '<strong class="star-count">3</strong> stars' in page
    assert "<strong>12.3K</strong> pulls" in page
    assert '<code id="pull-command">docker pull localhost:8000/alice/web</code>' in page
    assert 'data-copy="#pull-command"' in page


def test_repository_page_shows_its_badges(client, alice, public_repo):
    Repository.objects.filter(pk=public_repo.pk).update(is_automated=True, is_private=True)
    client.force_login(alice)
    page = main(client.get("/r/alice/web/"))
    assert '<span class="badge badge-automated">Automated</span>' in page
    assert '<span class="badge badge-private">Private</span>' in page
    assert "badge-official" not in page


def test_official_repository_lives_at_its_short_name(client, staff):
    repository_create(user=staff, namespace="library", name="busybox", description="Tiny tools")
    response = client.get("/_/busybox/")
    page = main(response)
    assert response.status_code == 200
    assert '<span class="badge badge-official">Official</span>' in page
    assert '<code id="pull-command">docker pull localhost:8000/busybox</code>' in page
    assert 'href="/_/busybox/tags/"' in page
    assert client.get("/r/library/busybox/").status_code == 200


def test_unknown_repository_is_404(client, db):
    response = client.get("/r/alice/nothing/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_overview_renders_the_full_description_as_markdown(client, alice):
    make_repo(
        alice,
        "docs",
        full_description="# Usage\n\nRun `docker run` and see [docs](https://d.example).",
    )
    page = main(client.get("/r/alice/docs/"))
    assert "<h1>Usage</h1>" in page
    assert "<code>docker run</code>" in page
    assert '<a href="https://d.example" rel="nofollow noopener noreferrer">docs</a>' in page


def test_overview_without_full_description_invites_the_owner_to_write_one(
    client, alice, public_repo
):
    assert "The owner has not described this repository yet." in main(client.get("/r/alice/web/"))
    client.force_login(alice)
    page = main(client.get("/r/alice/web/"))
    assert "Write the overview" in page
    assert "docker push localhost:8000/alice/web:1.0" in page


def test_names_with_slashes_route_to_the_repository_and_its_tabs(client, alice):
    make_repo(alice, "tools/lint", description="A linter")
    push_image("alice/tools/lint:v1")
    assert "A linter" in main(client.get("/r/alice/tools/lint/"))
    tags = main(client.get("/r/alice/tools/lint/tags/"))
    assert 'href="/r/alice/tools/lint/tags/v1/"' in tags
    assert client.get("/r/alice/tools/lint/tags/v1/").status_code == 200


def test_a_repository_named_like_a_tab_is_still_reachable(client, alice):
    make_repo(alice, "tools/tags", description="Named like a tab")
    make_repo(alice, "tools/star", description="Named like a form")
    assert "Named like a tab" in main(client.get("/r/alice/tools/tags/"))
    assert "Named like a form" in main(client.get("/r/alice/tools/star/"))
    assert client.get("/r/alice/tools/tags/settings/").status_code == 404  # not alice's session


@pytest.mark.parametrize("suffix", ["", "tags/", "tags/v1/", "builds/"])
def test_repository_pages_answer_head_requests(client, tagged_repo, suffix):
    response = client.head(f"/r/alice/app/{suffix}")
    assert response.status_code == 200
    assert response.content == b""


def test_builds_tab_lists_the_history(client, public_repo):
    page = main(client.get("/r/alice/web/builds/"))
    assert "Build history" in page and "No builds yet." in page
    assert '<a href="/r/alice/web/builds/" aria-current="page">Builds</a>' in page


# --- tags ---


def test_tags_tab_lists_each_tag_with_digest_platforms_size_and_pull_command(client, tagged_repo):
    page = main(client.get("/r/alice/app/tags/"))
    v1 = Tag.objects.select_related("manifest").get(repository=tagged_repo, name="v1")
    assert 'href="/r/alice/app/tags/v1/"' in page
    assert f'<code title="{v1.manifest.digest}">{v1.manifest.digest[:19]}</code>' in page
    assert '<div class="platform-count">2 platforms</div>' in page
    assert '<span class="platform">linux/amd64</span>' in page
    assert '<span class="platform">linux/arm64/v8</span>' in page
    assert "docker pull localhost:8000/alice/app:multi" in page
    assert "docker pull localhost:8000/alice/app:v1" in page
    size = v1.manifest.total_size
    assert f'data-bytes="{size}">{layer_size(size)}</span>' in page


@pytest.mark.parametrize(
    "ordering, first, second",
    [("name", "multi", "v1"), ("-name", "v1", "multi"), ("-updated", "multi", "v1")],
)
def test_tags_tab_sorts(client, tagged_repo, ordering, first, second):
    page = main(client.get("/r/alice/app/tags/", {"ordering": ordering}))
    assert page.index(f"/tags/{first}/") < page.index(f"/tags/{second}/")


def test_tags_tab_sort_links_toggle_direction(client, tagged_repo):
    page = main(client.get("/r/alice/app/tags/", {"ordering": "name"}))
    assert 'href="?ordering=-name">Tag <span aria-hidden="true">▲</span>' in page
    assert 'href="?ordering=updated">Last pushed</a>' in page


def test_tags_tab_ignores_an_unknown_ordering(client, tagged_repo):
    assert client.get("/r/alice/app/tags/", {"ordering": "drop table"}).status_code == 200


def test_tags_tab_without_tags_says_how_to_push(client, public_repo):
    page = main(client.get("/r/alice/web/tags/"))
    assert "No tags yet" in page
    assert "docker push localhost:8000/alice/web:latest" in page


def test_delete_buttons_only_for_owner_and_staff(client, alice, bob, staff, tagged_repo):
    assert "Delete tag v1" not in main(client.get("/r/alice/app/tags/"))
    client.force_login(bob)
    assert "Delete tag v1" not in main(client.get("/r/alice/app/tags/"))
    for user in (alice, staff):
        client.force_login(user)
        page = main(client.get("/r/alice/app/tags/"))
        assert (
            'data-confirm="Delete tag v1 of alice/app? Pulls of alice/app:v1 stop working."' in page
        )


@pytest.mark.parametrize("who", ["alice", "staff"])
def test_owner_and_staff_delete_a_tag(client, request, tagged_repo, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post("/r/alice/app/tags/v1/delete/", follow=True)
    assert response.redirect_chain == [("/r/alice/app/tags/", 302)]
    assert "Deleted tag v1 of alice/app." in response.content.decode()
    assert list(tagged_repo.tags.values_list("name", flat=True)) == ["multi"]


@pytest.mark.parametrize("who", [None, "bob"])
def test_others_cannot_delete_a_tag(client, request, tagged_repo, who):
    if who:
        client.force_login(request.getfixturevalue(who))
    assert client.post("/r/alice/app/tags/v1/delete/").status_code == 404
    assert tagged_repo.tags.filter(name="v1").exists()


def test_deleting_a_missing_tag_is_404(client, alice, tagged_repo):
    client.force_login(alice)
    assert client.post("/r/alice/app/tags/nope/delete/").status_code == 404


def test_tag_delete_needs_post(client, alice, tagged_repo):
    client.force_login(alice)
    assert client.get("/r/alice/app/tags/v1/delete/").status_code == 404
    assert tagged_repo.tags.filter(name="v1").exists()


# --- the tag page ---


def test_tag_page_shows_layers_with_sizes_and_instructions(client, tagged_repo):
    page = main(client.get("/r/alice/app/tags/v1/"))
    assert 'Tag <span class="tag-name">v1</span>' in page
    assert ">ADD file:abc in /</code>" in page
    assert ">RUN apk add --no-cache curl</code>" in page
    assert ">ENV APP_HOME=/srv/app</code>" in page
    assert '0 B <span class="badge">empty layer</span>' in page
    assert page.count('class="empty-layer"') == 2
    assert '<td class="size" data-bytes="0">0 B <span class="badge">empty layer</span>' in page
    # Just pushed, the layers are not measured yet: their compressed sizes, said to be so.
    manifest = json.loads(bytes(tagged_repo.tags.get(name="v1").manifest.content))
    for layer in manifest["layers"]:
        assert (
            f'<td class="size" data-bytes="{layer["size"]}" title="Compressed size: the unpacked'
            ' size, which docker history shows, is not measured yet">'
            f'{layer_size(layer["size"])} <span class="muted small">compressed</span></td>'
        ) in page


def test_tag_page_shows_measured_layers_unpacked_as_docker_history_does(client, tagged_repo):
    manifest = tagged_repo.tags.get(name="v1").manifest
    layers_measure(manifest.pk)
    page = main(client.get("/r/alice/app/tags/v1/"))
    for layer in json.loads(bytes(manifest.content))["layers"]:
        unpacked = Blob.objects.get(digest=layer["digest"]).unpacked_size
        assert unpacked > layer["size"]  # text, gzipped
        assert (
            f'<td class="size" data-bytes="{unpacked}" title="{layer_size(layer["size"])}'
            f' compressed">{layer_size(unpacked)}</td>'
        ) in page
    assert 'muted small">compressed<' not in page.split("<h2>Configuration", 1)[0]


@pytest.mark.parametrize(
    "size, shown",
    [
        (0, "0 B"),
        (None, "0 B"),
        (224, "224 B"),
        (1000, "1 kB"),
        (1234, "1.23 kB"),
        (999_499, "999 kB"),
        (999_999, "1 MB"),  # docker says 1e+03kB
        (1_234_567, "1.23 MB"),
        (45_600_000_000, "45.6 GB"),
        (7 * 10**12, "7 TB"),
    ],
)
def test_sizes_read_as_the_docker_cli_prints_them(size, shown):
    assert layer_size(size) == shown


def test_tag_page_shows_the_image_config(client, tagged_repo):
    page = main(client.get("/r/alice/app/tags/v1/"))
    assert "<code>[&quot;/docker-entrypoint.sh&quot;]</code>" in page
    assert "<code>[&quot;serve&quot;, &quot;--port&quot;, &quot;8080&quot;]</code>" in page
    assert '<code class="kv">APP_HOME=/srv/app</code>' in page
    assert "<dt>Working dir</dt><dd><code>/srv/app</code>" in page
    assert "<dt>User</dt><dd><code>app</code>" in page
    assert '<dt>Exposed ports</dt><dd><code class="kv">8080/tcp</code>' in page
    assert "org.opencontainers.image.source=https://git.example/app" in page
    assert "<dt>Author</dt><dd>Ada Lovelace &lt;ada@example.test&gt;</dd>" in page
    assert "<dt>Comment</dt><dd>made for the page tests</dd>" in page
    assert '<time datetime="2024-05-01T10:00:03+00:00">May 1, 2024, 10:00 UTC</time>' in page


def test_tag_page_of_a_multi_arch_index_shows_one_platform_at_a_time(client, tagged_repo):
    # More in tests/hub/test_tags_platforms.py.
    page = main(client.get("/r/alice/app/tags/multi/"))
    assert '<option value="linux/amd64" selected>linux/amd64</option>' in page
    assert '<option value="linux/arm64/v8">linux/arm64/v8</option>' in page
    assert '<h2 id="platform-label">linux/amd64</h2>' in page
    assert "<code>[&quot;amd64&quot;]</code>" in page
    assert "arm64&quot;]" not in page
    page = main(client.get("/r/alice/app/tags/multi/", {"platform": "linux/arm64/v8"}))
    assert '<h2 id="platform-label">linux/arm64/v8</h2>' in page
    assert "<code>[&quot;arm64&quot;]</code>" in page
    assert "No history recorded" in page  # these images carry no history


def test_unknown_tag_is_404(client, tagged_repo):
    assert client.get("/r/alice/app/tags/nope/").status_code == 404


# --- stars ---


def test_star_and_unstar(client, bob, public_repo):
    client.force_login(bob)
    response = client.post("/r/alice/web/star/", {"next": "/r/alice/web/tags/"})
    assert response.status_code == 302
    assert response["Location"] == "/r/alice/web/tags/"
    page = main(client.get("/r/alice/web/"))
    assert '<strong class="star-count">1</strong> star' in page
    assert 'aria-pressed="true"><span aria-hidden="true">★</span> Unstar' in page

    client.post("/r/alice/web/unstar/")
    page = main(client.get("/r/alice/web/"))
    assert '<strong class="star-count">0</strong> stars' in page
    assert 'aria-pressed="false"><span aria-hidden="true">☆</span> Star' in page


def test_starring_twice_counts_once(client, bob, public_repo):
    client.force_login(bob)
    client.post("/r/alice/web/star/")
    client.post("/r/alice/web/star/")
    public_repo.refresh_from_db()
    assert public_repo.star_count == 1


def test_star_redirects_only_to_this_site(client, bob, public_repo):
    client.force_login(bob)
    response = client.post("/r/alice/web/star/", {"next": "https://evil.example/"})
    assert response["Location"] == "/r/alice/web/"


def test_anonymous_star_asks_to_sign_in(client, public_repo):
    page = main(client.get("/r/alice/web/"))
    assert 'href="/login/?next=/r/alice/web/"' in page
    response = client.post("/r/alice/web/star/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/r/alice/web/"
    public_repo.refresh_from_db()
    assert public_repo.star_count == 0
