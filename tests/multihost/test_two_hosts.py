"""Wharf on two hosts (tests/multihost/cluster.py): web A and web B with different data dirs, two
workers, one PostgreSQL, one Redis, one S3 endpoint. Whatever one host does, the other sees:
an image pushed through A pulls through B, a chunked upload's PATCHes may alternate between them,
and a build queued on A runs on whichever worker takes it while its log streams live to B."""

import hashlib
import json
import os
from pathlib import Path

import pytest
from kombu import Connection
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from builds.models import Build
from builds.tasks import prune_build_stores
from hub.models import Manifest, Tag
from hub.registry import busybox
from hub.registry.importer import import_layout
from hub.registry.storage import get_store
from hub.services import repository_get_or_create
from tests.builds.support import GitHttpServer, bare_repo, make_git_repo
from tests.factories import UserFactory, make_token
from tests.hub.serving import wait_for
from tests.registry.conftest import Clients, basic, make_image

pytestmark = pytest.mark.integration

MiB = 1024 * 1024


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def host(web) -> str:
    return web.url.removeprefix("http://")


@pytest.fixture
def owner(transactional_db):
    """A user with a read/write/delete token: (user, raw token)."""
    user = UserFactory()
    _, raw = make_token(user, scope="read_write_delete")
    return user, raw


def files_under(paths: list[Path]) -> set[str]:
    return {p.name for root in paths for p in root.rglob("*") if p.is_file()}


def test_an_image_pushed_through_a_pulls_byte_identical_through_b(cluster, owner, tmp_path):
    user, raw = owner
    image = make_image(tmp_path / "image", layers=3, layer_size=300_000)
    (tmp_path / "clients").mkdir()
    clients = Clients(tmp_path / "clients", host(cluster.a))
    for web in (cluster.a, cluster.b):
        clients.skopeo("login", "--tls-verify=false", "-u", user.username, "-p", raw, host(web))

    pushed = f"docker://{host(cluster.a)}/{user.username}/app:v1"
    clients.skopeo("copy", "--dest-tls-verify=false", f"oci:{image}:v1", pushed)
    pulled = f"docker://{host(cluster.b)}/{user.username}/app:v1"
    clients.skopeo("copy", "--src-tls-verify=false", pulled, f"oci:{tmp_path / 'back'}:v1")

    def blobs(layout: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in (layout / "blobs" / "sha256").iterdir()}

    assert blobs(tmp_path / "back") == blobs(image)
    # Layers and config are in the bucket (the manifest in the database), on no host's disk.
    digests = set(blobs(image))
    manifest = Manifest.objects.get(repository__name="app", tags__name="v1").digest
    assert manifest.removeprefix("sha256:") in digests
    assert all(get_store().exists(f"sha256:{d}") for d in digests if f"sha256:{d}" != manifest)
    assert not digests & files_under(cluster.data_dirs)


def test_a_chunked_upload_alternating_between_a_and_b_completes(cluster, owner):
    user, raw = owner
    name = f"{user.username}/chunks"
    scope = f"repository:{name}:pull,push"
    headers = cluster.a.http.bearer(scope, auth=basic(user.username, raw))  # B accepts it too
    # Parts above and below S3's 5 MiB minimum part size, so that both hosts buffer and send.
    chunks = [os.urandom(6 * MiB), os.urandom(MiB), os.urandom(5 * MiB + 3), os.urandom(100_000)]
    data = b"".join(chunks)

    status, h, _ = cluster.a.http.request("POST", f"/v2/{name}/blobs/uploads/", headers=headers)
    assert status == 202
    location = h["location"]
    start = 0
    for i, chunk in enumerate(chunks[:-1]):
        web, other = (cluster.a, cluster.b) if i % 2 == 0 else (cluster.b, cluster.a)
        end = start + len(chunk) - 1
        status, h, _ = web.http.request("PATCH", location, body=chunk, headers={
            **headers, "Content-Range": f"{start}-{end}", "Content-Type": "application/octet-stream"
        })  # fmt: skip
        assert (status, h["range"]) == (202, f"0-{end}"), web.log()
        status, h, _ = other.http.request("GET", location, headers=headers)
        assert (status, h["range"]) == (204, f"0-{end}")  # where it stands, asked of the other
        start = end + 1

    status, h, _ = cluster.b.http.request(
        "PUT", f"{location}?digest={sha(data)}", body=chunks[-1], headers=headers
    )
    assert (status, h["docker-content-digest"]) == (201, sha(data)), cluster.b.log()
    for web in (cluster.a, cluster.b):
        status, h, body = web.http.request("GET", f"/v2/{name}/blobs/{sha(data)}", headers=headers)
        assert status == 200 and body == data
    status, h, body = cluster.a.http.request("GET", f"/v2/{name}/blobs/{sha(data)}", headers={
        **headers, "Range": f"bytes={6 * MiB - 10}-{6 * MiB + 9}"
    })  # fmt: skip
    assert status == 206 and body == data[6 * MiB - 10 : 6 * MiB + 10]


DOCKERFILE = "FROM busybox\nRUN echo built on one of two hosts > /built.txt && cat /built.txt\n"


def test_a_build_queued_on_a_runs_on_a_worker_and_streams_its_log_live_to_b(
    cluster, owner, tmp_path, tmp_path_factory
):
    user, raw = owner
    layout = busybox.build_layout(tmp_path_factory.mktemp("busybox") / "layout")
    import_layout(layout=layout, ref="latest", target="library/busybox:latest")
    repository_get_or_create(namespace=user.username, name="built", user=user)
    source = make_git_repo(tmp_path / "src", {"Dockerfile": DOCKERFILE})
    # Every git request waits until the test opens the gate: the build stays "cloning" (its
    # first lines written, nothing more) for as long as the test looks at it.
    git = GitHttpServer(tmp_path / "served", gated=True)
    bare_repo(source, tmp_path / "served", "src.git")
    try:
        status, _, body = cluster.a.http.json(
            "POST", f"/api/v2/repositories/{user.username}/built/builds/",
            body=json.dumps({"source_url": f"{git.url}/src.git", "source_type": "branch",
                             "source": "main"}).encode(),
            headers={"Authorization": f"Bearer {raw}", "Content-Type": "application/json"},
        )  # fmt: skip
        assert status == 201, body
        build = Build.objects.get(pk=body["id"])

        received, lines = [], {}  # lines by seq: a replay may overlap what came live
        url = f"ws://{host(cluster.b)}/ws/builds/{build.pk}/"
        with connect(url, origin=cluster.b.url, open_timeout=10) as ws:

            def receive() -> dict:
                message = json.loads(ws.recv(timeout=120))
                received.append(message)
                lines.update((line["seq"], line["text"]) for line in message.get("lines", []))
                return message

            while not any(text.startswith("Cloning ") for text in lines.values()):
                receive()
            # That line came while the build was still running: live, not a replay at the end.
            build.refresh_from_db()
            assert build.status == Build.Status.CLONING, cluster.logs()
            assert build.worker in {w.name for w in cluster.workers}

            git.open()
            try:
                while True:
                    receive()
            except ConnectionClosed:  # the server closes the socket after the final status
                pass
    finally:
        git.close()

    build.refresh_from_db()
    assert build.status == Build.Status.SUCCESS, "\n".join(lines.values()) + cluster.logs()
    assert [m["status"] for m in received if m["type"] == "status"][-1] == "success"
    public = build.log_lines.filter(private=False).order_by("seq")
    assert list(lines.items()) == sorted(lines.items()) == list(public.values_list("seq", "text"))
    assert "built on one of two hosts" in lines.values()
    assert f"Pushed {build.digest}" in lines.values()
    # What the worker pushed (to A or B, as it was told) both hosts serve.
    assert Tag.objects.get(repository__name="built", name="latest").manifest.digest == build.digest
    headers = cluster.b.http.bearer(
        f"repository:{user.username}/built:pull", auth=basic(user.username, raw)
    )
    for web in (cluster.a, cluster.b):
        status, h, _ = web.http.request(
            "HEAD", f"/v2/{user.username}/built/manifests/latest", headers=headers
        )
        assert (status, h["docker-content-digest"]) == (200, build.digest)


def test_beats_prune_reaches_the_layer_stores_on_every_worker_host(cluster, transactional_db):
    for worker in cluster.workers:  # each has pruned once when it started; then, no more
        wait_for(
            f"{worker.name}'s start-up cleaning", lambda w=worker: "builds start-up:" in w.log()
        )
    # A store of a repository that no longer exists, on each host: a prune removes it whole.
    stores = [w.build_dir / "repos" / str(10**9 + i) for i, w in enumerate(cluster.workers)]
    for store in stores:
        (store / "containers").mkdir(parents=True)

    # What beat sends, to the queue the workers share: one message, one worker takes it.
    with Connection(cluster.broker_url) as connection:
        prune_build_stores.apply_async(connection=connection, queue="celery")

    for store, worker in zip(stores, cluster.workers, strict=True):
        wait_for(f"{worker.name} to prune its own store", lambda s=store: not s.exists())
