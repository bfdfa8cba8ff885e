"""Two users, real buildah, a real registry: one user's builds can neither read nor poison the
other's images (issue 9, findings 1 and 2), and RUN steps cannot reach the worker's loopback
(finding 11)."""

import gzip
import io
import json
import socket
import subprocess
import tarfile
import threading
from pathlib import Path

import pytest

from builds import sandbox
from hub.registry import busybox
from hub.services import repository_get_or_create
from tests.builds.support import log_text, make_git_repo, start, wait_final
from tests.factories import UserFactory, make_token

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not busybox.BUSYBOX.exists(), reason="needs Debian's busybox-static"),
]


@pytest.fixture
def two_users(transactional_db):
    usera, userb = UserFactory(username="usera"), UserFactory(username="userb")
    secret = repository_get_or_create(namespace="usera", name="secret", user=usera)
    secret.is_private = True
    secret.save()
    leak = repository_get_or_create(namespace="userb", name="leak", user=userb)
    return usera, userb, secret, leak


def files_of(hub, reference: str, tmp_path: Path, user) -> dict[str, bytes]:
    """Every regular file of a pushed image, as ``user`` pulling it would get it."""
    _, token = make_token(user, scope="read")
    out = tmp_path / reference.replace("/", "_").replace(":", "_")
    subprocess.run(
        [
            "skopeo",
            "--insecure-policy",
            "copy",
            "--src-tls-verify=false",
            "--src-creds",
            f"{user.username}:{token}",
            f"docker://{hub.url.removeprefix('http://')}/{reference}",
            f"dir:{out}",
        ],
        check=True,
        capture_output=True,
    )
    manifest = json.loads((out / "manifest.json").read_text())
    files = {}
    for layer in manifest["layers"]:
        data = (out / layer["digest"].split(":", 1)[1]).read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar.getmembers():
                if member.isfile():
                    files[member.name.lstrip("./")] = tar.extractfile(member).read()
    return files


def test_a_build_cannot_read_another_user_s_private_image(hub, two_users, sources, tmp_path):
    usera, userb, secret, leak = two_users
    made = "FROM busybox\nRUN echo usera-private-bytes > /built.txt\n"
    a_build = wait_final(
        start(secret, make_git_repo(sources / "a", {"Dockerfile": made}), user=usera)
    )
    assert a_build.status == "success", log_text(a_build)
    host = hub.url.removeprefix("http://")

    # Every name usera's image could go by, from userb's build: the local names the builder
    # keeps (old ones and new), the short name and the full name through this registry.
    for base in (
        "localhost/wharf/usera/secret:latest",
        "localhost/wharf-cache:one-off",
        f"localhost/wharf-build:{a_build.pk}",
        "usera/secret",
        f"{host}/usera/secret:latest",
    ):
        dockerfile = f"FROM {base}\nRUN cat /built.txt\n"
        source = make_git_repo(
            sources / f"b-{len(base)}-{base.count('/')}", {"Dockerfile": dockerfile}
        )
        b_build = wait_final(start(leak, source, user=userb))
        log = log_text(b_build)
        assert b_build.status == "failed", log
        assert "usera-private-bytes" not in log
        assert "STEP 2/2" not in log  # it never got as far as a RUN step
        if "/" in base and not base.startswith("localhost"):
            # Through the registry: the starter's rights were asked, and the answer is clear.
            assert f"the image {base} (line 1) does not exist on this hub, or userb may not " in (
                b_build.error
            )
    # What anyone could pull from userb/leak never held usera's file (nothing was pushed).
    assert not leak.tags.exists()

    # The owner's own builds may use the private base, pulled through the registry.
    own = wait_final(
        start(
            secret,
            make_git_repo(
                sources / "a2", {"Dockerfile": "FROM usera/secret\nRUN cat /built.txt\n"}
            ),
            user=usera,
            tags=["again"],
        )
    )
    assert own.status == "success", log_text(own)
    assert "usera-private-bytes" in log_text(own)
    assert "$ buildah pull usera/secret" in log_text(own)


def test_a_build_cannot_poison_another_repository_s_cache(hub, two_users, sources, tmp_path):
    """The same Dockerfile text, with a bind-mounted script buildah does not key its cache on:
    userb's malicious script must not end up in usera's image."""
    usera, userb, secret, leak = two_users
    dockerfile = "FROM busybox\nRUN --mount=type=bind,target=/src sh /src/install.sh\n"
    evil = make_git_repo(
        sources / "evil",
        {"Dockerfile": dockerfile, "install.sh": "echo pwned-by-userb > /payload.txt\n"},
    )
    good = make_git_repo(
        sources / "good",
        {"Dockerfile": dockerfile, "install.sh": "echo harmless > /payload.txt\n"},
    )

    b_build = wait_final(start(leak, evil, user=userb))
    assert b_build.status == "success", log_text(b_build)
    a_build = wait_final(start(secret, good, user=usera))

    log = log_text(a_build)
    assert a_build.status == "success", log
    assert "Using cache" not in log
    files = files_of(hub, "usera/secret:latest", tmp_path, usera)
    assert files["payload.txt"] == b"harmless\n"
    assert b"pwned-by-userb" not in b"".join(files.values())
    # Each repository's store is its own; the cache still works within one repository.
    again = wait_final(start(secret, good, user=usera, tags=["v2"]))
    assert again.status == "success" and "Using cache" in log_text(again)


class Listener:
    """A TCP server on an address of this machine that records whether anyone connected."""

    def __init__(self, address: str):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, 0))
        self.sock.listen(5)
        self.address, self.port = self.sock.getsockname()
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nhello-from-the-host\n")
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def outside_address():
    """An address of this machine that is not loopback: a listener there stands for the world
    outside (no test reaches beyond this host)."""
    shown = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True)
    for line in shown.stdout.splitlines():
        words = line.split()
        if "inet" in words:
            address = words[words.index("inet") + 1].split("/")[0]
            if not address.startswith("127."):
                return address
    pytest.skip("this host has no address but loopback")


def test_run_steps_reach_out_but_not_the_worker_s_loopback(hub, repo, sources, outside_address):
    box = sandbox.current()
    if not box.private_network:
        pytest.skip(f"this host gives RUN steps no network of their own: {box.note}")
    inside, outside = Listener("127.0.0.1"), Listener(outside_address)
    try:
        probe = (
            f"for a in 127.0.0.1:{inside.port} 10.0.2.2:{inside.port} "
            f'{outside.address}:{outside.port}; do echo "== $a"; '
            "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | timeout 5 nc ${a%:*} ${a#*:} 2>&1 | tail -1; "
            "done"
        )
        dockerfile = f"FROM busybox\nRUN {probe}\n"
        build = wait_final(start(repo, make_git_repo(sources / "net", {"Dockerfile": dockerfile})))
    finally:
        inside.close()
        outside.close()
    log = log_text(build)
    assert build.status == "success", log
    assert inside.connections == 0, log  # neither 127.0.0.1 nor slirp's host alias got through
    assert outside.connections == 1, log
    assert log.count("hello-from-the-host") == 1
    assert "note: RUN steps share the worker's network" not in log


def test_what_gets_out_of_a_run_step_finds_only_its_own_build(hub, two_users, sources, monkeypatch):
    """Defence in depth: with builds.mounts' checks switched off, buildah 1.28's cache-id
    traversal (CVE-2024-9675) takes a RUN step out of its container: into the builder's jail,
    which holds this repository's store and this build's files, and nothing of anyone else's."""
    from builds import mounts

    usera, userb, secret, leak = two_users
    box = sandbox.current()
    if not box.jailed:
        pytest.skip(f"this host cannot jail the builder: {box.note}")
    made = wait_final(
        start(secret, make_git_repo(sources / "a", {"Dockerfile": "FROM busybox\n"}), user=usera)
    )
    assert made.status == "success", log_text(made)
    canary = box.root / "CANARY-outside-the-jail"
    canary.write_text("canary-text-nobody-may-read\n")
    canary.chmod(0o644)
    monkeypatch.setattr(mounts, "check", lambda *args, **kwargs: None)
    climb = "../" * 16
    dockerfile = (
        f"FROM busybox\nRUN --mount=type=cache,id={climb},target=/r sh -c "
        f"'echo root: $(ls /r); echo repos: $(ls /r{box.root}/repos); cat /r{canary}; true'\n"
    )
    build = wait_final(
        start(leak, make_git_repo(sources / "b", {"Dockerfile": dockerfile}), user=userb)
    )
    log = log_text(build)
    assert build.status == "success", log
    root_line = next(line for line in log.splitlines() if line.startswith("root: "))
    assert set(root_line.split()[1:]) <= {
        "bin",
        "dev",
        "etc",
        "lib",
        "lib64",
        "proc",
        "run",
        "sbin",
        "sys",
        "tmp",
        "usr",
        "var",
    }, root_line
    repos_line = next(line for line in log.splitlines() if line.startswith("repos: "))
    assert repos_line.split()[1:] == [str(leak.pk)]  # its own store only, not usera's
    assert "canary-text-nobody-may-read" not in log
