"""What `docker commit` and `docker build` record shows on the tag page: the author, the commit
message, exposed ports, and the same layers `docker history` lists (instructions, comments,
empty layers, and each layer's size to the byte)."""

import html
import re

import pytest

from tests.docker.conftest import history
from tests.hub.serving import wait_for

pytestmark = pytest.mark.integration

AUTHOR = "Ada Byron <ada@example.test>"
MESSAGE = "write /x for the history test"
ROW = re.compile(r"<tr( class=\"empty-layer\")?>(.*?)</tr>", re.S)
INSTRUCTION = re.compile(r'<code class="instruction" title="([^"]*)"')
COMMENT = re.compile(r'<div class="muted small">(.*?)</div>', re.S)
SIZE = re.compile(r'<td class="size" data-bytes="(\d+)"[^>]*>(.*?)</td>', re.S)
COMPRESSED = '<span class="muted small">compressed</span>'


def tag_page(wharf, repo: str, tag: str) -> str:
    """The page as anyone sees it (the repository is public), from the live server."""
    status, _, body = wharf.http.request("GET", f"/r/{repo}/tags/{tag}/")
    assert status == 200
    return body.decode()


def page_layers(page: str) -> list[dict]:
    """The tag page's layer table, oldest first."""
    table = page.split('<table class="table layers">', 1)[1].split("</table>", 1)[0]
    rows = []
    for empty, cells in ROW.findall(table.split("<tbody>", 1)[1]):
        instruction = INSTRUCTION.search(cells)
        comment = COMMENT.search(cells)
        size = SIZE.search(cells)
        rows.append(
            {
                "created_by": html.unescape(instruction.group(1)) if instruction else "",
                "comment": html.unescape(comment.group(1)) if comment else "",
                "empty": bool(empty),
                "bytes": int(size.group(1)),
                "compressed": COMPRESSED in size.group(2),
            }
        )
    return rows


def measured_tag_page(wharf, repo: str, tag: str) -> str:
    """The tag page once the worker has measured every layer the push made."""

    def measured():
        page = tag_page(wharf, repo, tag)
        return page if not any(row["compressed"] for row in page_layers(page)) else None

    return wait_for(f"the layers of {repo}:{tag} measured", measured)


def assert_page_matches_docker_history(docker, ref: str, page: str) -> list[dict]:
    local, shown = history(docker, ref), page_layers(page)
    assert [r["created_by"] for r in shown] == [r["created_by"] for r in local]
    assert [r["comment"] for r in shown] == [r["comment"] for r in local]
    # An entry that made no layer is 0 B to docker; on the page it is marked "empty layer".
    assert [r["empty"] for r in shown] == [r["size"] == 0 for r in local]
    layers = int(docker("inspect", "--format", "{{len .RootFS.Layers}}", ref).stdout)
    assert sum(not r["empty"] for r in shown) == layers
    # Each layer's size, to the byte, is the unpacked one `docker history` shows.
    assert [r["bytes"] for r in shown] == [r["size"] for r in local]
    return shown


def assert_a_fresh_pull_matches_too(docker, ref: str, page: str) -> None:
    """What the engine pulls back has the sizes the pusher's engine showed (and the page)."""
    docker("rmi", ref)
    docker("pull", ref)
    assert_page_matches_docker_history(docker, ref, page)


def test_the_tag_page_shows_what_docker_commit_recorded(docker, wharf, alice):
    docker.login("alice")
    name = docker.container_name()
    docker("run", "--network", "none", "--name", name, docker.ref("busybox"),
           "sh", "-c", "echo hi > /x")  # fmt: skip
    target = docker.ref("alice/app:committed")
    docker("commit", "-m", MESSAGE, "--author", AUTHOR, name, target)
    docker("push", target)

    page = measured_tag_page(wharf, "alice/app", "committed")
    assert f"<dd>{html.escape(AUTHOR)}</dd>" in page
    assert f"<dd>{MESSAGE}</dd>" in page
    # …as `docker inspect` reports them (its Comment is the last history entry's).
    inspected = docker("inspect", "--format", "{{.Author}}|{{.Comment}}", target).stdout
    assert inspected.strip() == f"{AUTHOR}|{MESSAGE}"
    shown = assert_page_matches_docker_history(docker, target, page)
    assert shown[-1]["created_by"] == "sh -c echo hi > /x"
    assert shown[-1]["comment"] == MESSAGE
    assert 'title="sh -c echo hi &gt; /x"' in page
    assert_a_fresh_pull_matches_too(docker, target, page)


def test_the_tag_page_lists_the_ports_an_image_exposes(docker, wharf, alice, tmp_path):
    docker.login("alice")
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {docker.ref('busybox')}\nEXPOSE 80 30\n")
    target = docker.ref("alice/web:v1")
    docker("build", "-t", target, str(context))
    docker("push", target)

    page = measured_tag_page(wharf, "alice/web", "v1")
    ports = page.split("<dt>Exposed ports</dt>", 1)[1].split("</dd>", 1)[0]
    assert '<code class="kv">30/tcp</code>' in ports
    assert '<code class="kv">80/tcp</code>' in ports
    shown = assert_page_matches_docker_history(docker, target, page)
    assert shown[-1]["empty"]  # EXPOSE made no layer
    assert "EXPOSE" in shown[-1]["created_by"]
    assert_a_fresh_pull_matches_too(docker, target, page)
