"""A `docker push` killed mid-upload leaves nothing half-written behind; pushing again
completes, and what is pulled back is the image that was built."""

import hashlib
import json
import os
import threading
import time
from pathlib import Path

import pytest

from hub.models import Tag
from hub.registry.storage import get_store
from tests.factories import PASSWORD
from tests.registry.conftest import basic

pytestmark = pytest.mark.integration

BIG = 64 * 1024 * 1024
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    ]
)


def read_lines(proc, lines: list[str]) -> None:
    for line in proc.stdout:
        lines.append(line)


def uploading(uploads: Path) -> bool:
    try:
        return any(path.stat().st_size > 0 for path in uploads.iterdir())
    except OSError:  # an upload finished (renamed away) while we looked
        return False


def kill_mid_upload(proc, lines: list[str], uploads: Path, timeout: float = 60) -> bool:
    """Kill the CLI once the hub has received the first bytes of a layer; True if it had.

    Without a terminal the CLI prints no progress, so the hub's upload directory tells.
    """
    reader = threading.Thread(target=read_lines, args=(proc, lines), daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    caught = False
    while time.monotonic() < deadline and proc.poll() is None and not caught:
        caught = uploading(uploads)
        time.sleep(0.005)
    proc.kill()
    proc.wait()
    reader.join(timeout=10)
    return caught


def test_a_push_killed_mid_upload_then_pushed_again_completes(docker, wharf, alice, tmp_path):
    docker.login("alice")
    context = tmp_path / "context"
    context.mkdir()
    content = os.urandom(BIG)
    (context / "big").write_bytes(content)
    (context / "Dockerfile").write_text(f"FROM {docker.ref('busybox')}\nCOPY big /big\n")
    target = docker.ref("alice/big:v1")
    docker("build", "-t", target, str(context))

    lines: list[str] = []
    assert kill_mid_upload(docker.popen("push", target), lines, get_store().uploads), lines
    assert not any("digest: sha256:" in line for line in lines), "".join(lines)
    time.sleep(1)  # whatever the engine still sends after its client is gone
    token = wharf.http.bearer("repository:alice/big:pull", auth=basic("alice", PASSWORD))
    headers = {**token, "Accept": MANIFEST_TYPES}
    status, _, _ = wharf.http.request("GET", "/v2/alice/big/manifests/v1", headers=headers)
    assert status == 404  # no manifest of an image whose layers did not all arrive
    assert not Tag.objects.filter(repository__name="big", name="v1").exists()

    pushed = docker("push", target)
    tag = Tag.objects.select_related("manifest").get(repository__name="big", name="v1")
    assert f"v1: digest: {tag.manifest.digest} " in pushed.stdout

    # What is served is complete: the manifest is the tag's, every blob matches its digest.
    status, _, body = wharf.http.request("GET", "/v2/alice/big/manifests/v1", headers=headers)
    assert status == 200
    assert "sha256:" + hashlib.sha256(body).hexdigest() == tag.manifest.digest
    manifest = json.loads(body)
    blobs = [manifest["config"], *manifest["layers"]]
    assert max(blob["size"] for blob in blobs) > BIG  # random bytes do not compress
    for blob in blobs:
        status, _, data = wharf.http.request(
            "GET", f"/v2/alice/big/blobs/{blob['digest']}", headers=token
        )
        assert status == 200
        assert len(data) == blob["size"]
        assert "sha256:" + hashlib.sha256(data).hexdigest() == blob["digest"]

    # Pulled back from nothing, the image holds the very bytes that were built into it.
    docker("rmi", target, docker.ref("busybox"))
    docker("pull", target)
    ran = docker("run", "--rm", "--network", "none", target, "sha256sum", "/big")
    assert ran.stdout.split()[0] == hashlib.sha256(content).hexdigest()
