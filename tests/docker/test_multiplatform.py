"""`docker pull` of a multi-platform index by digest: the engine takes its own platform."""

import hashlib
import json

import pytest

from tests.registry.conftest import clients, make_index, owner, registry  # noqa: F401

pytestmark = pytest.mark.integration


def test_docker_pulls_its_platform_of_an_index_by_digest(dockerd, clients, owner, tmp_path):  # noqa: F811
    user, raw = owner
    index = make_index(tmp_path / "index")
    clients.login(user.username, raw)
    name = f"{clients.host}/{user.username}/multi"
    clients.skopeo("copy", "--all", "--dest-tls-verify=false", f"oci:{tmp_path / 'index'}:multi",
                   f"docker://{name}:1")  # fmt: skip
    index_bytes = (tmp_path / "index" / "blobs" / "sha256" / index["digest"][7:]).read_bytes()
    assert "sha256:" + hashlib.sha256(index_bytes).hexdigest() == index["digest"]

    config = tmp_path / "dockercfg"
    dockerd.run("login", clients.host, "-u", user.username, "--password-stdin", input=raw,
                config=config)  # fmt: skip
    pulled = dockerd.run("pull", f"{name}@{index['digest']}", config=config)
    assert index["digest"] in pulled.stdout
    inspect = json.loads(dockerd.run("image", "inspect", f"{name}@{index['digest']}").stdout)
    assert inspect[0]["Architecture"] == "amd64" and inspect[0]["Os"] == "linux"
    assert f"{name}@{index['digest']}" in inspect[0]["RepoDigests"]
    dockerd.run("rmi", f"{name}@{index['digest']}")
