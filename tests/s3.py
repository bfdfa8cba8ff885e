"""The test S3: moto's server on a loopback port, a real HTTP S3 API (multipart uploads,
ranges, copies, presigned URLs) driven by the same boto3 code as production.

One server per test session, started on first use; each test that runs on S3 gets a bucket of
its own (emptied and removed afterwards) and the settings that point Wharf at it. The registry
and proxy tests run on both stores: their conftests call ``parametrize_stores``, and a test that
needs files (the fast path sends them itself) says so with ``@pytest.mark.filesystem_only``.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ACCESS_KEY = "wharf-test"
SECRET_KEY = "wharf-test-secret"
PREFIX = "wharf"  # blobs under a prefix, as most deployments share a bucket
# boto3's default chain finds these (in this process and in the web processes tests start);
# no config file, no instance metadata: nothing reaches beyond 127.0.0.1.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": ACCESS_KEY,
    "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def free_port() -> int:  # tests.conftest has one too, but that module imports this one
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoServer:
    def __init__(self, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> "MotoServer":
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                env={**os.environ, **AWS_ENV},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto_server exited:\n{self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=2):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not answer in 30 s") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def client(self):
        from hub.registry.storage.s3 import s3_client

        return s3_client(self.url, "us-east-1")

    def new_bucket(self) -> str:
        bucket = f"wharf-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=bucket)
        return bucket

    def drop_bucket(self, bucket: str) -> None:
        self.empty_bucket(bucket)
        self.client().delete_bucket(Bucket=bucket)

    def empty_bucket(self, bucket: str) -> None:
        """Every object and multipart upload of ``bucket`` removed (moto holds them in memory)."""
        client = self.client()
        for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
            for upload in page.get("Uploads", []):
                client.abort_multipart_upload(
                    Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            if keys := [{"Key": obj["Key"]} for obj in page.get("Contents", [])]:
                client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


@contextlib.contextmanager
def moto_server(log: Path):
    """moto's S3 on a loopback port, with the test credentials in this process's environment
    (boto3 here, and the processes started meanwhile, use them); stopped, and the environment
    put back, on exit. bench/_stores.py uses it too."""
    saved = {name: os.environ.get(name) for name in AWS_ENV}
    os.environ.update(AWS_ENV)
    server = MotoServer(log).start()
    try:
        yield server
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server


def use_s3(settings, server: MotoServer, bucket: str) -> None:
    """Point Wharf's settings at ``bucket`` of the test S3."""
    settings.WHARF_STORAGE_URL = f"s3://{bucket}/{PREFIX}"
    settings.WHARF_S3_ENDPOINT_URL = server.url
    settings.WHARF_S3_REGION = "us-east-1"


def parametrize_stores(metafunc) -> None:
    """Run each test on both stores (``blob_store_kind``), but those marked ``filesystem_only``
    (they need files), ``store_independent`` (they store no blob worth the name: once is
    enough) or ``s3_only``."""
    if "blob_store_kind" not in metafunc.fixturenames:
        return
    definition = metafunc.definition
    if definition.get_closest_marker("filesystem_only") or definition.get_closest_marker(
        "store_independent"
    ):
        return
    s3_only = definition.get_closest_marker("s3_only")
    metafunc.parametrize("blob_store_kind", ["s3"] if s3_only else ["filesystem", "s3"])


def upload_leftovers() -> list[str]:
    """What upload sessions left in the current store: files, or S3 objects and multipart
    uploads (a test asserts there are none)."""
    from hub.registry.storage import FilesystemStore, get_store

    store = get_store()
    if isinstance(store, FilesystemStore):
        return [path.name for path in store.uploads.iterdir()]
    found = []
    for where in ("uploads/", "blobs/"):
        prefix = store.prefix + where
        answer = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix=prefix)
        found += [f"multipart {u['Key']}" for u in answer.get("Uploads", [])]
    answer = store.client.list_objects_v2(Bucket=store.bucket, Prefix=store.prefix + "uploads/")
    return found + [obj["Key"] for obj in answer.get("Contents", [])]
