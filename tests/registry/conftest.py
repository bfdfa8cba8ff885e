"""Registry tests: Wharf's ASGI app on a loopback port, driven by real clients and raw HTTP."""

import base64
import http.client
import json
import os
import subprocess
from pathlib import Path

import pytest

from hub.registry.ocilayout import LAYER_GZIP, LayoutWriter, tar_layer
from tests.factories import UserFactory, make_token
from tests.s3 import parametrize_stores


def pytest_generate_tests(metafunc):
    """Every test here runs on the filesystem store and on S3 (tests/s3.py)."""
    parametrize_stores(metafunc)


def basic(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


class Http:
    """Plain HTTP against the live server, so every header and status is what a client sees."""

    def __init__(self, url: str):
        self.host, port = url.removeprefix("http://").split(":")
        self.port = int(port)

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def json(self, method, path, **kwargs):
        status, headers, data = self.request(method, path, **kwargs)
        return status, headers, (json.loads(data) if data else None)

    def token(self, *scopes: str, auth: str | None = None) -> str:
        query = "&".join(f"scope={s}" for s in scopes)
        headers = {"Authorization": auth} if auth else {}
        status, _, body = self.json("GET", f"/token?service=x&{query}", headers=headers)
        assert status == 200, body
        return body["token"]

    def bearer(self, *scopes: str, auth: str | None = None) -> dict:
        return {"Authorization": f"Bearer {self.token(*scopes, auth=auth)}"}


@pytest.fixture
def registry(asgi_server, settings):
    settings.WHARF_URL = asgi_server.url
    asgi_server.host = asgi_server.url.removeprefix("http://")
    asgi_server.http = Http(asgi_server.url)
    return asgi_server


class Clients:
    """skopeo, podman and buildah with their own auth file and storage: no global state."""

    def __init__(self, root: Path, host: str):
        self.root = root
        self.host = host
        self.env = {
            **os.environ,
            "REGISTRY_AUTH_FILE": str(root / "auth.json"),
            "HOME": str(root),
            "XDG_RUNTIME_DIR": str(root / "run"),
        }
        (root / "run").mkdir(exist_ok=True)
        self.storage = [
            "--root",
            str(root / "storage"),
            "--runroot",
            str(root / "runroot"),
            "--storage-driver",
            "vfs",
        ]

    def run(self, *args, check=True, timeout=180):
        result = subprocess.run(
            list(args), env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def skopeo(self, *args, **kwargs):
        return self.run("skopeo", "--insecure-policy", *args, **kwargs)

    def podman(self, *args, **kwargs):
        return self.run("podman", *self.storage, *args, **kwargs)

    def buildah(self, *args, **kwargs):
        return self.run("buildah", *self.storage, *args, **kwargs)

    def login(self, username: str, secret: str):
        return self.skopeo("login", "--tls-verify=false", "-u", username, "-p", secret, self.host)


@pytest.fixture
def clients(registry, tmp_path_factory):
    return Clients(tmp_path_factory.mktemp("clients"), registry.host)


def make_image(
    dest: Path,
    *,
    layers: int = 3,
    layer_size: int = 100_000,
    tag: str = "v1",
    arch: str = "amd64",
    seed: str = "",
) -> Path:
    """An OCI layout holding one image with ``layers`` random layers, tagged ``tag``."""
    writer = LayoutWriter(dest)
    descriptors = []
    for i in range(layers):
        data, diff_id = tar_layer({f"data/{seed}{i}.bin": os.urandom(layer_size)})
        descriptors.append((writer.add_bytes(data, LAYER_GZIP), diff_id))
    config = {"architecture": arch, "os": "linux", "config": {"Cmd": ["sh"]}}
    writer.add_image(layers=descriptors, config=config, tag=tag)
    writer.close()
    return dest


def make_index(dest: Path, *, tag: str = "multi", arches=("amd64", "arm64")) -> dict:
    """An OCI layout holding an index of one small image per architecture, tagged ``tag``;
    returns the index's descriptor."""
    writer = LayoutWriter(dest)
    children = []
    for arch in arches:
        data, diff = tar_layer({f"{arch}.txt": arch.encode() * 1000})
        layer = writer.add_bytes(data, LAYER_GZIP)
        platform = {"architecture": arch, "os": "linux"}
        children.append((writer.add_image(layers=[(layer, diff)], config=platform), platform))
    index = writer.add_index(children, tag=tag)
    writer.close()
    return index


@pytest.fixture
def owner(transactional_db):
    """A user with a read/write/delete token: (user, raw token)."""
    user = UserFactory()
    _, raw = make_token(user, scope="read_write_delete")
    return user, raw
