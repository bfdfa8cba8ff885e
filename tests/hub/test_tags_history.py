"""The layer list reads like `docker history`: the Dockerfile instruction without builder noise
(buildah's `FROM <id>` step comments, `/bin/sh -c #(nop)`, BuildKit's `# buildkit`), empty
layers marked, sizes in docker's units."""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from hub.history import builder_base, instruction
from hub.registry.importer import import_layout
from hub.registry.ocilayout import LAYER_GZIP, LayoutWriter, tar_layer
from hub.templatetags.repositories import layer_size
from tests.hub.conftest import make_repo


def main(response) -> str:
    assert response.status_code == 200
    text = response.content.decode()
    return text[text.index("<main") : text.index("</main>")]


def layer_rows(page: str) -> list[tuple[str, str]]:
    """(instruction, size cell) of each row of the layer table."""
    table = page[page.index('<table class="table layers">') : page.index("</table>")]
    rows = re.findall(r"<tr(?: class=\"empty-layer\")?>(.*?)</tr>", table, re.DOTALL)[1:]
    found = []
    for row in rows:
        code = re.search(r'<code class="instruction"[^>]*>(.*?)</code>', row, re.DOTALL)
        size = re.search(r'<td class="size"[^>]*>(.*?)</td>', row, re.DOTALL)
        found.append((code[1] if code else "", re.sub(r"<[^>]+>", "", size[1]).strip()))
    return found


@pytest.mark.parametrize(
    "created_by, shown",
    [
        ("/bin/sh -c #(nop)  ENV APP_HOME=/srv/app", "ENV APP_HOME=/srv/app"),
        ("/bin/sh -c #(nop) ADD file:abc in / ", "ADD file:abc in /"),
        ('/bin/sh -c #(nop)  CMD ["sh"]', 'CMD ["sh"]'),
        ("/bin/sh -c apk add --no-cache curl", "RUN apk add --no-cache curl"),
        ("|2 WHO=ci SHA= /bin/sh -c make $WHO", "RUN make $WHO"),  # classic RUN with ARGs
        ("RUN /bin/sh -c apk add curl # buildkit", "RUN apk add curl"),
        ("RUN |1 WHO=ci /bin/sh -c make # buildkit", "RUN make"),
        ("COPY . /app # buildkit", "COPY . /app"),
        ('ENTRYPOINT ["/app"]', 'ENTRYPOINT ["/app"]'),
        ("", ""),
    ],
)
def test_history_lines_read_as_the_dockerfile_said(created_by, shown):
    assert instruction(created_by) == shown


@pytest.mark.parametrize(
    "comment, base",
    [
        ("FROM docker.io/library/alpine:3.20", "docker.io/library/alpine:3.20"),
        ("FROM f8b30c8fda8d", ""),
        ("FROM sha256:" + "ab" * 32, ""),
        ("made for the page tests", None),
        ("", None),
    ],
)
def test_buildah_step_comments_are_told_from_peoples_own(comment, base):
    assert builder_base(comment) == base


# What `buildah bud --layers` recorded for this Dockerfile (seen on this machine):
#   FROM localhost/base:1 / ENV APP=/srv / RUN echo hi > /hi / COPY f /f / EXPOSE 80 / CMD ["sh"]
BUILDAH_HISTORY = [
    {"created": "2026-12-01T19:38:34Z", "created_by": "/bin/sh"},
    {
        "created": "2026-12-01T19:38:38Z",
        "created_by": "/bin/sh -c #(nop) ENV APP=/srv",
        "comment": "FROM localhost/base:1",
        "empty_layer": True,
    },
    {
        "created": "2026-12-01T19:38:39Z",
        "created_by": "/bin/sh -c echo hi > /hi",
        "comment": "FROM f8b30c8fda8d",
    },
    {
        "created": "2026-12-01T19:38:39Z",
        "created_by": "/bin/sh -c #(nop) COPY file:b1132ccacf62 in /f ",
        "comment": "FROM 1a5b0e986637",
    },
    {
        "created": "2026-12-01T19:38:39Z",
        "created_by": "/bin/sh -c #(nop) EXPOSE 80",
        "comment": "FROM 69ca4a998cc4",
        "empty_layer": True,
    },
    {
        "created": "2026-12-01T19:38:39Z",
        "created_by": '/bin/sh -c #(nop) CMD ["sh"]',
        "comment": "FROM 995d6498d644",
        "empty_layer": True,
    },
]


def push_with_history(target: str, history: list[dict], layer_count: int):
    with tempfile.TemporaryDirectory(prefix="wharf-history-test-") as scratch:
        writer = LayoutWriter(Path(scratch) / "layout")
        layers = []
        for i in range(layer_count):
            data, diff_id = tar_layer({f"f{i}": f"layer {i}\n".encode() * (40 * (i + 1))})
            layers.append((writer.add_bytes(data, LAYER_GZIP), diff_id))
        config = {"architecture": "amd64", "os": "linux", "history": history, "config": {}}
        writer.add_image(layers=layers, config=config, tag="v1")
        writer.close()
        return import_layout(layout=Path(scratch) / "layout", ref="v1", target=target)


def test_buildahs_from_lines_are_not_shown_under_every_step(client, alice):
    make_repo(alice, "built")
    push_with_history("alice/built:v1", BUILDAH_HISTORY, layer_count=3)
    page = main(client.get("/r/alice/built/tags/v1/"))
    assert "FROM f8b30c8fda8d" not in page and "FROM 1a5b0e986637" not in page
    assert '<div class="muted small">FROM' not in page
    # Named once, as what the image was built from.
    assert "<dt>Base image</dt><dd><code>localhost/base:1</code></dd>" in page
    assert "<dt>Comment</dt><dd>—</dd>" in page  # not the last step's "FROM 995d6498d644"
    assert "#(nop)" not in page.replace('title="/bin/sh -c #(nop)', "")  # raw line: tooltip only
    rows = layer_rows(page)
    assert [text for text, _ in rows] == [
        "/bin/sh",
        "ENV APP=/srv",
        "RUN echo hi &gt; /hi",
        "COPY file:b1132ccacf62 in /f",
        "EXPOSE 80",
        "CMD [&quot;sh&quot;]",
    ]
    empty = [size for text, size in rows if "empty layer" in size]
    assert empty == ["0 B empty layer"] * 3
    assert page.count('class="empty-layer"') == 3


def test_layer_sizes_use_one_unit_system(client, alice):
    make_repo(alice, "built")
    push_with_history("alice/built:v1", BUILDAH_HISTORY, layer_count=3)
    page = main(client.get("/r/alice/built/tags/v1/"))
    for size in re.findall(r'<td class="size" data-bytes="(\d+)"', page):
        assert layer_size(int(size)) in page
    assert not re.search(r"\d (bytes|KB|KiB|MiB)\b", page)


# --- the real thing: an image buildah built here ---

BUILDAH = shutil.which("buildah")
BUSYBOX = Path("/bin/busybox")


def buildah(root: Path, *args: str, **kwargs) -> str:
    command = [BUILDAH, "--root", str(root / "root"), "--runroot", str(root / "run"), *args]
    env = {**os.environ, "STORAGE_DRIVER": "vfs", "BUILDAH_ISOLATION": "chroot"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, **kwargs)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.integration
@pytest.mark.skipif(not BUILDAH or not BUSYBOX.exists(), reason="needs buildah and busybox")
def test_an_image_buildah_built_reads_like_docker_history(client, alice, tmp_path):
    base = buildah(tmp_path, "from", "scratch")
    buildah(tmp_path, "copy", base, str(BUSYBOX), "/bin/sh")
    buildah(tmp_path, "commit", "-q", base, "localhost/base:1")
    context = tmp_path / "context"
    context.mkdir()
    (context / "f").write_text("x\n")
    (context / "Dockerfile").write_text(
        "FROM localhost/base:1\nENV APP=/srv\nRUN echo hi > /hi\nCOPY f /f\nEXPOSE 80\n"
    )
    buildah(tmp_path, "bud", "--layers", "-q", "-t", "localhost/app:1", str(context))
    buildah(tmp_path, "push", "-q", "localhost/app:1", f"oci:{tmp_path / 'layout'}:v1")
    make_repo(alice, "built")
    import_layout(layout=tmp_path / "layout", ref="v1", target="alice/built:v1")

    page = main(client.get("/r/alice/built/tags/v1/"))
    texts = [text for text, _ in layer_rows(page)]
    assert texts[-4:] == ["ENV APP=/srv", "RUN echo hi &gt; /hi", texts[-2], "EXPOSE 80"]
    assert texts[-2].startswith("COPY ") and texts[-2].endswith(" in /f")
    assert '<div class="muted small">FROM' not in page
    assert "<dt>Base image</dt><dd><code>localhost/base:1</code></dd>" in page
    sizes = dict(layer_rows(page))
    assert sizes["ENV APP=/srv"] == sizes["EXPOSE 80"] == "0 B empty layer"
    assert "empty layer" not in sizes["RUN echo hi &gt; /hi"]
