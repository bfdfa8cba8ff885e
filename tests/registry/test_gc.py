"""Garbage collection frees what nothing references, and never what something does."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from hub.models import Blob, Manifest, Repository, Upload
from hub.registry.gc import collect_garbage
from hub.registry.storage import get_store
from tests.registry.conftest import make_image
from tests.registry.test_http import push_blob, push_image, sha
from tests.s3 import upload_leftovers

pytestmark = pytest.mark.integration

LONG_AGO = timezone.now() - timedelta(days=3)


@pytest.fixture
def pushed(registry, owner):
    from tests.registry.conftest import basic

    user, raw = owner
    name = f"{user.username}/app"
    headers = registry.http.bearer(
        f"repository:{name}:pull,push,delete", auth=basic(user.username, raw)
    )
    return registry.http, name, headers


def all_referenced_blobs_exist() -> bool:
    store = get_store()
    return all(store.exists(b.digest) for m in Manifest.objects.all() for b in m.blobs.all())


def test_gc_deletes_old_unreferenced_blobs_and_keeps_referenced_ones(pushed):
    http, name, headers = pushed
    image, _, layer = push_image(http, name, "v1", headers)
    garbage = push_blob(http, name, b"nobody references me", headers)
    Blob.objects.update(last_linked_at=LONG_AGO)

    report = collect_garbage(grace=timedelta(hours=24))

    assert report.blobs_deleted == 1 and report.bytes_freed == len(b"nobody references me")
    assert not Blob.objects.filter(digest=garbage).exists()
    assert not get_store().exists(garbage)
    assert get_store().exists(sha(layer)) and all_referenced_blobs_exist()
    assert http.request("GET", f"/v2/{name}/manifests/v1", headers=headers)[0] == 200


def test_gc_spares_recent_unreferenced_blobs_a_push_may_still_reference(pushed):
    http, name, headers = pushed
    fresh = push_blob(http, name, b"manifest still on its way", headers)
    assert collect_garbage(grace=timedelta(hours=24)).blobs_deleted == 0
    assert get_store().exists(fresh)


def test_gc_removes_stale_upload_sessions(pushed):
    http, name, headers = pushed
    status, h, _ = http.request("POST", f"/v2/{name}/blobs/uploads/", headers=headers)
    Upload.objects.update(updated_at=LONG_AGO)
    assert collect_garbage(grace=timedelta(hours=24)).uploads_deleted == 1
    assert http.request("GET", h["location"], headers=headers)[0] == 404
    assert upload_leftovers() == []


def test_deleting_a_repository_keeps_blobs_another_one_uses(registry, owner, clients, tmp_path):
    user, raw = owner
    image = make_image(tmp_path / "image", layers=2)
    clients.login(user.username, raw)
    for repo in ("one", "two"):
        clients.skopeo(
            "copy",
            "--dest-tls-verify=false",
            f"oci:{image}:v1",
            f"docker://{clients.host}/{user.username}/{repo}:v1",
        )
    Repository.objects.get(name="one").delete()
    Blob.objects.update(last_linked_at=LONG_AGO)

    assert collect_garbage(grace=timedelta(hours=1)).blobs_deleted == 0
    clients.skopeo(
        "copy",
        "--src-tls-verify=false",
        f"docker://{clients.host}/{user.username}/two:v1",
        f"oci:{tmp_path / 'back'}:v1",
    )


def test_gc_command_reports_what_it_did(pushed, capsys):
    http, name, headers = pushed
    push_blob(http, name, b"garbage", headers)
    Blob.objects.update(last_linked_at=LONG_AGO)
    call_command("gc", "--dry-run")
    assert "gc would delete 1 blob(s) (7 bytes)" in capsys.readouterr().out
    assert Blob.objects.count() == 1
    call_command("gc")
    assert Blob.objects.count() == 0


def test_push_racing_gc_loses_nothing_referenced(registry, owner, clients, tmp_path):
    """Pushes reuse layers that gc is about to free, while gc runs over and over."""
    user, raw = owner
    clients.login(user.username, raw)
    base = make_image(tmp_path / "base", layers=3, layer_size=50_000)
    clients.skopeo(
        "copy",
        "--dest-tls-verify=false",
        f"oci:{base}:v1",
        f"docker://{clients.host}/{user.username}/base:v1",
    )
    # Orphan the base layers: delete the manifest and age the blobs past the grace period.
    Manifest.objects.all().delete()
    Blob.objects.update(last_linked_at=LONG_AGO)

    stop = threading.Event()
    runs = []

    def gc_loop():
        while not stop.is_set():
            runs.append(collect_garbage(grace=timedelta(hours=1)))

    worker = threading.Thread(target=gc_loop)
    worker.start()
    try:
        for i in range(4):  # the same layers again, under other tags and repositories
            clients.skopeo(
                "copy",
                "--dest-tls-verify=false",
                f"oci:{base}:v1",
                f"docker://{clients.host}/{user.username}/race{i}:v1",
            )
    finally:
        stop.set()
        worker.join()

    assert len(runs) >= 1
    assert all_referenced_blobs_exist()
    for i in range(4):
        clients.skopeo(
            "copy",
            "--src-tls-verify=false",
            f"docker://{clients.host}/{user.username}/race{i}:v1",
            f"oci:{tmp_path / f'back{i}'}:v1",
        )
