"""What only the S3 store does: multipart parts of small chunks, blobs appearing only once
verified, uploads spread over processes that share no disk, redirects, gc of multipart
uploads, and storage_migrate. (Everything else runs on both stores: tests/s3.py.)"""

import hashlib
import os
import urllib.request
from datetime import timedelta

import pytest
from django.core.management import call_command

from hub.models import Blob, Upload
from hub.registry import hashstate
from hub.registry.gc import collect_garbage
from hub.registry.storage import FilesystemStore, get_store, store_for_url
from hub.registry.storage.s3 import PART_SIZE
from tests.factories import UserFactory, make_token
from tests.registry.conftest import basic
from tests.registry.processes import web_processes
from tests.s3 import upload_leftovers

pytestmark = pytest.mark.integration
MiB = 1024 * 1024


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture
def s3():
    return get_store()


@pytest.fixture
def alice(registry, transactional_db):
    user = UserFactory(username="alice")
    _, raw = make_token(user, scope="read_write_delete")
    http = registry.http
    return (
        http,
        "alice/app",
        http.bearer("repository:alice/app:pull,push", auth=basic("alice", raw)),
    )


def parts_of(store, upload: Upload) -> list[int]:
    key, multipart = upload.store_state["key"], upload.store_state["multipart"]
    answer = store.client.list_parts(Bucket=store.bucket, Key=key, UploadId=multipart)
    return [part["Size"] for part in answer.get("Parts", [])]


@pytest.mark.s3_only
def test_small_chunks_are_sent_as_parts_of_the_minimum_size_and_the_rest_waits(s3, alice):
    http, name, headers = alice
    data = os.urandom(2 * PART_SIZE + 3 * MiB)
    status, h, _ = http.request("POST", f"/v2/{name}/blobs/uploads/", headers=headers)
    location = h["location"]
    for start in range(0, len(data), 3 * MiB):  # 3 MiB chunks: each too small for a part
        chunk = data[start : start + 3 * MiB]
        status, h, _ = http.request(
            "PATCH",
            location,
            body=chunk,
            headers={**headers, "Content-Range": f"{start}-{start + len(chunk) - 1}"},
        )
        assert status == 202 and h["range"] == f"0-{start + len(chunk) - 1}"

    upload = Upload.objects.get()
    assert parts_of(s3, upload) == [PART_SIZE, PART_SIZE]  # ≥ 5 MiB each, as S3 wants
    assert upload.size == len(data) and not s3.exists(sha(data))  # nothing visible yet

    status, h, _ = http.request("PUT", f"{location}?digest={sha(data)}", headers=headers)
    assert status == 201
    assert s3.read(sha(data)) == data
    assert upload_leftovers() == []


@pytest.mark.s3_only
def test_a_monolithic_upload_streams_to_its_blob_and_appears_only_once_verified(s3, alice):
    http, name, headers = alice
    data = os.urandom(PART_SIZE + MiB)
    wrong = sha(b"not these bytes")
    status, _, _ = http.request(
        "POST", f"/v2/{name}/blobs/uploads/?digest={wrong}", body=data, headers=headers
    )
    assert status == 400
    assert not s3.exists(wrong) and upload_leftovers() == []  # its multipart upload aborted

    status, _, _ = http.request(
        "POST", f"/v2/{name}/blobs/uploads/?digest={sha(data)}", body=data, headers=headers
    )
    assert status == 201
    assert s3.read(sha(data)) == data and upload_leftovers() == []


@pytest.mark.s3_only
def test_a_chunked_upload_alternating_between_processes_that_share_no_disk(
    s3, transactional_db, settings, tmp_path
):
    data = os.urandom(PART_SIZE + 5 * MiB)
    chunks = [data[i : i + 2 * MiB + 1] for i in range(0, len(data), 2 * MiB + 1)]
    with web_processes(tmp_path / "web", separate_hosts=True) as web:
        settings.WHARF_REDIS_PREFIX = web.redis_prefix
        settings.WHARF_URL = web.url
        user = UserFactory()
        _, raw = make_token(user, scope="read_write_delete")
        name = f"{user.username}/app"
        hosts = [web.a, web.b]
        headers = web.a.bearer(f"repository:{name}:pull,push", auth=basic(user.username, raw))
        status, h, _ = web.a.request("POST", f"/v2/{name}/blobs/uploads/", headers=headers)
        assert status == 202
        location, start = h["location"], 0
        for i, chunk in enumerate(chunks):
            status, h, _ = hosts[i % 2].request(
                "PATCH",
                location,
                body=chunk,
                headers={**headers, "Content-Range": f"{start}-{start + len(chunk) - 1}"},
            )
            assert status == 202, h
            start += len(chunk)
        if hashstate.AVAILABLE:  # each process went on hashing where the other stopped
            assert Upload.objects.get().hashed_size == len(data)
        host = hosts[len(chunks) % 2]
        status, h, _ = host.request("PUT", f"{location}?digest={sha(data)}", headers=headers)
        assert status == 201 and h["docker-content-digest"] == sha(data)
        for other in hosts:
            status, _, body = other.request("GET", f"/v2/{name}/blobs/{sha(data)}", headers=headers)
            assert status == 200 and body == data
    assert not (tmp_path / "web" / "host-0" / "registry" / "blobs" / "sha256").exists()


@pytest.mark.s3_only
def test_with_redirect_a_blob_get_is_sent_to_the_store_and_head_is_answered_here(
    s3, alice, settings
):
    http, name, headers = alice
    data = bytes(range(256)) * 64
    status, _, _ = http.request(
        "POST", f"/v2/{name}/blobs/uploads/?digest={sha(data)}", body=data, headers=headers
    )
    assert status == 201
    settings.WHARF_S3_REDIRECT = True

    status, h, _ = http.request("HEAD", f"/v2/{name}/blobs/{sha(data)}", headers=headers)
    assert status == 200 and h["content-length"] == str(len(data))
    status, h, body = http.request("GET", f"/v2/{name}/blobs/{sha(data)}", headers=headers)
    assert status == 307 and body == b""
    assert h["location"].startswith(settings.WHARF_S3_ENDPOINT_URL)
    with urllib.request.urlopen(h["location"]) as response:  # no credentials: the URL's own
        assert response.read() == data
    ranged = urllib.request.Request(h["location"], headers={"Range": "bytes=10-19"})
    with urllib.request.urlopen(ranged) as response:
        assert response.status == 206 and response.read() == data[10:20]


@pytest.mark.s3_only
def test_a_pull_follows_the_redirect_to_the_store(s3, registry, owner, clients, settings, tmp_path):
    from tests.registry.conftest import make_image

    user, raw = owner
    image = make_image(tmp_path / "image", layers=2)
    clients.login(user.username, raw)
    target = f"docker://{clients.host}/{user.username}/app:v1"
    clients.skopeo("copy", "--dest-tls-verify=false", f"oci:{image}:v1", target)
    settings.WHARF_S3_REDIRECT = True
    clients.skopeo("copy", "--src-tls-verify=false", target, f"oci:{tmp_path / 'pulled'}:v1")
    pulled = sorted(p.name for p in (tmp_path / "pulled" / "blobs" / "sha256").iterdir())
    assert pulled == sorted(p.name for p in (image / "blobs" / "sha256").iterdir())


@pytest.mark.s3_only
def test_gc_aborts_abandoned_multipart_uploads_and_spares_live_ones(s3, alice):
    http, name, headers = alice
    sessions = []
    for _ in range(2):
        status, h, _ = http.request("POST", f"/v2/{name}/blobs/uploads/", headers=headers)
        data = os.urandom(PART_SIZE + 1)
        status, _, _ = http.request("PATCH", h["location"], body=data, headers=headers)
        assert status == 202
        sessions.append(h["location"])
    abandoned, live = Upload.objects.order_by("pk")
    Upload.objects.filter(pk=abandoned.pk).update(updated_at=abandoned.updated_at - timedelta(2))
    # And one whose row is gone: a crash between S3's work and the database's.
    orphan = s3.client.create_multipart_upload(Bucket=s3.bucket, Key=s3.prefix + "uploads/x/data")

    report = collect_garbage(grace=timedelta(hours=24))

    assert report.uploads_deleted == 1 and report.orphan_files_deleted == 1
    left = upload_leftovers()
    assert left == [f"multipart {live.store_state['key']}", f"{s3.prefix}uploads/{live.uuid}/tail"]
    assert orphan["UploadId"] not in str(left)
    assert http.request("GET", sessions[1], headers=headers)[0] == 204


@pytest.mark.s3_only
def test_a_blob_filling_the_cache_on_one_host_reaches_a_client_of_another(
    s3, transactional_db, settings, tmp_path
):
    """The host running the fill serves its spool; the other has none, waits for the fill to
    be done and reads the blob from S3."""
    import concurrent.futures

    from proxy.services import upstream_create
    from tests.proxy.upstream import UpstreamRegistry

    (tmp_path / "upstream").mkdir()
    upstream = UpstreamRegistry(tmp_path / "upstream").start()
    try:
        upstream.push_image("library/app", "v1", layers=1, layer_size=24 * MiB)
        upstream_create(name="local", url=upstream.url, namespace="hubcache")
        user = UserFactory()
        _, raw = make_token(user, scope="read")
        name = "hubcache/library/app"
        with web_processes(tmp_path / "web", separate_hosts=True) as web:
            settings.WHARF_REDIS_PREFIX = web.redis_prefix
            headers = web.a.bearer(f"repository:{name}:pull", auth=basic(user.username, raw))
            accept = {"Accept": "application/vnd.oci.image.manifest.v1+json"}
            status, _, manifest = web.a.json(
                "GET", f"/v2/{name}/manifests/v1", headers={**headers, **accept}
            )
            assert status == 200
            layer = manifest["layers"][0]["digest"]
            path = f"/v2/{name}/blobs/{layer}"
            with concurrent.futures.ThreadPoolExecutor(2) as pool:  # both while it fills
                answers = list(
                    pool.map(lambda http: http.request("GET", path, headers=headers), web)
                )
        expected = upstream.blob_data(layer).read_bytes()
        assert [(status, body == expected) for status, _, body in answers] == [(200, True)] * 2
        assert s3.read(layer) == expected
    finally:
        upstream.stop()


@pytest.mark.filesystem_only  # copies the filesystem store to S3
def test_storage_migrate_copies_the_filesystem_store_and_resumes(
    alice, s3_server, settings, capsys
):
    http, name, headers = alice
    blobs = [os.urandom(size) for size in (10, 2000, PART_SIZE + 7)]
    for data in blobs:
        status, _, _ = http.request(
            "POST", f"/v2/{name}/blobs/uploads/?digest={sha(data)}", body=data, headers=headers
        )
        assert status == 201
    assert isinstance(get_store(), FilesystemStore)
    bucket = s3_server.new_bucket()
    try:
        settings.WHARF_S3_ENDPOINT_URL = s3_server.url
        url = f"s3://{bucket}/migrated"
        target = store_for_url(url)
        target.put_bytes(blobs[1], sha(blobs[1]))  # copied by an earlier, interrupted run

        call_command("storage_migrate", "--to", url)
        out = capsys.readouterr().out
        assert "storage_migrate: 3/3 blobs" in out
        assert "copied 2 blob(s)" in out and "skipped 1 already in" in out
        assert all(target.read(sha(data)) == data for data in blobs)

        call_command("storage_migrate", "--to", url)
        assert "copied 0 blob(s) (0 B), skipped 3" in capsys.readouterr().out

        settings.WHARF_STORAGE_URL = url  # and Wharf serves them from there
        assert Blob.objects.count() == 3
        for data in blobs:
            status, _, body = http.request("GET", f"/v2/{name}/blobs/{sha(data)}", headers=headers)
            assert status == 200 and body == data
    finally:
        s3_server.drop_bucket(bucket)


@pytest.mark.filesystem_only  # its own error, before any store is reached
def test_storage_migrate_says_when_there_is_no_filesystem_store(tmp_path, capsys):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no filesystem blob store at"):
        call_command("storage_migrate", "--to", "s3://bucket", "--from-dir", str(tmp_path / "x"))


@pytest.mark.store_independent
@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("WHARF_STORAGE_URL", "/srv/blobs", "WHARF_STORAGE_URL must be a URL with scheme s3"),
        ("WHARF_STORAGE_URL", "s3:///prefix", "WHARF_STORAGE_URL must name a bucket"),
        ("WHARF_S3_ENDPOINT_URL", "minio:9000", "WHARF_S3_ENDPOINT_URL must be a URL with scheme"),
        ("WHARF_S3_REDIRECT", "sometimes", "WHARF_S3_REDIRECT must be one of 1/0"),
    ],
)
def test_a_bad_storage_setting_stops_startup_naming_it(tmp_path, name, value, message):
    from tests.hub.test_settings import load_settings

    # A key of its own: blobs in S3 without one is an error of its own (tests/hub/test_settings.py).
    result = load_settings(tmp_path, SECRET_KEY="k" * 40, **{name: value})
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
