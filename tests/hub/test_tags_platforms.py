"""The tag page shows one platform at a time, chosen by OS/ARCH as on Docker Hub, each with its
own digest, size, layers and config; digests and pull-by-digest commands come with copy buttons."""

import html
import json
import re

import pytest

from hub.models import ManifestChild, Tag
from hub.templatetags.repositories import layer_size


def main(response) -> str:
    assert response.status_code == 200
    text = response.content.decode()
    return text[text.index("<main") : text.index("</main>")]


def copy_texts(page: str) -> list[str]:
    """What the tab's copy buttons put on the clipboard: copy.js copies data-copy as it is
    (the header's button, data-copy="#pull-command", copies that element's text)."""
    texts = [html.unescape(text) for text in re.findall(r'data-copy="([^"]+)"', page)]
    return [text for text in texts if text != "#pull-command"]


@pytest.fixture
def multi(tagged_repo):
    tag = Tag.objects.select_related("manifest").get(repository=tagged_repo, name="multi")
    children = list(
        ManifestChild.objects.filter(parent=tag.manifest).select_related("child").order_by("id")
    )
    return tag, {c.architecture: c.child for c in children}


def test_a_multi_arch_tag_opens_on_linux_amd64_with_a_platform_selector(client, multi):
    tag, children = multi
    page = main(client.get("/r/alice/app/tags/multi/"))
    assert page.count('class="card platform-card"') == 1
    assert '<select name="platform">' in page
    assert '<option value="linux/amd64" selected>linux/amd64</option>' in page
    assert '<option value="linux/arm64/v8">linux/arm64/v8</option>' in page
    assert '<h2 id="platform-label">linux/amd64</h2>' in page
    assert f'<code class="digest">{children["amd64"].digest}</code>' in page
    assert children["arm64"].digest not in page
    assert "<dt>OS/Arch</dt><dd>2 platforms</dd>" in page


def test_choosing_a_platform_shows_its_digest_size_layers_and_config(client, multi):
    tag, children = multi
    arm = children["arm64"]
    page = main(client.get("/r/alice/app/tags/multi/", {"platform": "linux/arm64/v8"}))
    assert '<option value="linux/arm64/v8" selected>linux/arm64/v8</option>' in page
    assert '<h2 id="platform-label">linux/arm64/v8</h2>' in page
    assert f'<code class="digest">{arm.digest}</code>' in page
    assert f"<dt>Compressed size</dt><dd>{layer_size(arm.total_size)}</dd>" in page
    layer = json.loads(bytes(arm.content))["layers"][0]
    assert f'data-bytes="{layer["size"]}"' in page
    assert "<code>[&quot;arm64&quot;]</code>" in page  # its config's Cmd
    assert children["amd64"].digest not in page


def test_a_platform_may_be_named_by_its_digest(client, multi):
    tag, children = multi
    page = main(client.get("/r/alice/app/tags/multi/", {"platform": children["arm64"].digest}))
    assert '<h2 id="platform-label">linux/arm64/v8</h2>' in page


def test_an_unknown_platform_shows_the_default_one(client, multi):
    page = main(client.get("/r/alice/app/tags/multi/", {"platform": "plan9/mips"}))
    assert '<h2 id="platform-label">linux/amd64</h2>' in page


def test_platforms_with_the_same_label_are_told_apart_by_digest(client, multi):
    tag, children = multi
    ManifestChild.objects.filter(parent=tag.manifest).update(architecture="amd64", variant="")
    page = main(client.get("/r/alice/app/tags/multi/", {"platform": children["arm64"].digest}))
    assert f'<option value="{children["arm64"].digest}" selected>linux/amd64</option>' in page
    assert f'<code class="digest">{children["arm64"].digest}</code>' in page


def test_sizes_are_per_platform_never_summed(client, multi):
    tag, children = multi
    page = main(client.get("/r/alice/app/tags/multi/"))
    assert f"<dt>Compressed size</dt><dd>{layer_size(children['amd64'].total_size)}</dd>" in page
    assert tag.manifest.total_size == sum(c.total_size for c in children.values())
    assert page.count("<dt>Compressed size</dt>") == 1  # the platform's, not the index's


def test_copy_buttons_hold_the_digest_and_pull_by_digest_commands(client, multi):
    tag, children = multi
    image = "localhost:8000/alice/app"
    page = main(client.get("/r/alice/app/tags/multi/"))
    assert copy_texts(page) == [
        tag.manifest.digest,
        f"docker pull {image}:multi",
        f"docker pull {image}@{tag.manifest.digest}",
        children["amd64"].digest,
        f"docker pull {image}@{children['amd64'].digest}",
    ]
    assert 'aria-label="Copy the digest of multi"' in page
    assert 'aria-label="Copy the pull command for multi by digest"' in page
    assert 'aria-label="Copy the pull command for linux/amd64 by digest"' in page


def test_a_single_platform_tag_has_its_digest_and_pull_by_digest_to_copy(client, tagged_repo):
    v1 = Tag.objects.select_related("manifest").get(repository=tagged_repo, name="v1")
    page = main(client.get("/r/alice/app/tags/v1/"))
    assert "<select" not in page
    assert '<span class="platform">linux/amd64</span>' in page
    assert f"<dt>Compressed size</dt><dd>{layer_size(v1.manifest.total_size)}</dd>" in page
    assert copy_texts(page) == [
        v1.manifest.digest,
        "docker pull localhost:8000/alice/app:v1",
        f"docker pull localhost:8000/alice/app@{v1.manifest.digest}",
    ]


def test_the_tag_page_reads_one_platform_whatever_the_index_holds(
    client, multi, django_assert_num_queries
):
    # The repository, the tag with its manifest, the index's platforms, and the chosen
    # platform's measured layer sizes: one config blob read, however many platforms.
    with django_assert_num_queries(4):
        client.get("/r/alice/app/tags/multi/", {"platform": "linux/arm64/v8"})
