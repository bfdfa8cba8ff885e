"""Fixtures of the docker CLI tests: a live Wharf with library/busybox in it, and the private
engine's CLI with a DOCKER_CONFIG of the test's own, so logins never leak between tests."""

import subprocess
import uuid
from pathlib import Path

import pytest

from hub.registry import busybox
from hub.registry.importer import import_layout
from tests.factories import PASSWORD, UserFactory
from tests.registry.conftest import registry  # noqa: F401  (a fixture)


@pytest.fixture(scope="session")
def busybox_layout(tmp_path_factory):
    """One OCI layout of Wharf's busybox for the session; each test imports it afresh."""
    if not busybox.BUSYBOX.exists():
        pytest.skip("busybox-static is not installed")
    return busybox.build_layout(tmp_path_factory.mktemp("busybox") / "layout")


@pytest.fixture
def wharf(registry, busybox_layout, celery_worker):  # noqa: F811
    """The live hub, seeded like `manage.py serve` seeds a fresh one: library/busybox:latest,
    with a worker to do what pushes queue (measuring layers for the tag page)."""
    import_layout(layout=busybox_layout, ref="latest", target="library/busybox:latest")
    return registry


class Docker:
    """``docker`` against the private engine, as one user at one Wharf."""

    def __init__(self, engine, config: Path, host: str):
        self.engine = engine
        self.config = config
        self.host = host
        self.containers: list[str] = []

    def __call__(self, *args, check=True, input=None, timeout=300) -> subprocess.CompletedProcess:
        return self.engine.run(*args, config=self.config, check=check, input=input, timeout=timeout)

    def popen(self, *args) -> subprocess.Popen:
        return self.engine.popen(*args, config=self.config)

    def ref(self, path: str) -> str:
        return f"{self.host}/{path}"

    def login(self, username: str, secret: str = PASSWORD, check=True):
        return self(
            "login", self.host, "-u", username, "--password-stdin", input=secret, check=check
        )

    def container_name(self) -> str:
        name = f"wharf-test-{uuid.uuid4().hex[:10]}"
        self.containers.append(name)
        return name

    def cleanup(self) -> None:
        """Forget what this test made: the engine lives for the whole session."""
        for name in self.containers:
            self("rm", "-f", name, check=False)
        listed = self("images", "--format", "{{.Repository}}:{{.Tag}}", check=False).stdout
        refs = [ref for ref in listed.split() if ref.startswith(self.host + "/")]
        if refs:
            self("rmi", "-f", *refs, check=False)


@pytest.fixture
def docker(dockerd, wharf, tmp_path):
    client = Docker(dockerd, tmp_path / "dockercfg", wharf.host)
    yield client
    client.cleanup()


@pytest.fixture
def alice(transactional_db):
    return UserFactory(username="alice")


def history(docker: Docker, ref: str) -> list[dict]:
    """``docker history`` oldest first, as the tag page lists layers."""
    out = docker(
        "history", "--no-trunc", "--human=false", "--format",
        "{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}", ref,
    ).stdout  # fmt: skip
    rows = []
    for line in out.splitlines():
        created_by, size, comment = line.split("\t")
        rows.append({"created_by": created_by, "size": int(size), "comment": comment})
    return rows[::-1]
