"""The upstream of the pull-through cache tests: Debian's docker-registry on a loopback port.

Its own root directory and config, optionally htpasswd (Basic) auth, stop() and start() again on
the same port and storage (the upstream goes down and comes back), images pushed into it with
skopeo, and its access log (the registry writes one line per request to stdout, kept in a file)
to count the requests the cache made.
"""

import http.client
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

from tests.conftest import free_port
from tests.registry.conftest import make_image, make_index

ACCESS_RE = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3}) ')
START_TIMEOUT = 30
SYNC_TIMEOUT = 10


def htpasswd_line(username: str, password: str) -> str:
    """A bcrypt htpasswd entry (docker-registry accepts only bcrypt), by apache2-utils."""
    done = subprocess.run(
        ["htpasswd", "-Bbn", username, password],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return done.stdout.strip()


class UpstreamRegistry:
    """One docker-registry process; ``users`` ({name: password}) turns htpasswd auth on."""

    def __init__(self, root: Path, *, users: dict[str, str] | None = None):
        self.binary = shutil.which("docker-registry")
        if self.binary is None:
            raise RuntimeError("docker-registry is missing: bash scripts/setup.sh test")
        self.root = root
        self.users = dict(users or {})
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self.access_log = root / "access.log"
        self.error_log = root / "registry.log"
        self.proc: subprocess.Popen | None = None
        self._pushes = 0
        config = [
            "version: 0.1",
            "log:",
            "  level: warn",
            "  formatter: text",
            "  accesslog:",
            "    disabled: false",  # combined log format, on stdout
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {root / 'storage'}",
            "  delete:",
            "    enabled: true",
            "http:",
            f"  addr: {self.host}",
            "  secret: wharf-test-upstream",  # uploads survive a restart
        ]
        if self.users:
            htpasswd = root / "htpasswd"
            htpasswd.write_text("".join(htpasswd_line(u, p) + "\n" for u, p in self.users.items()))
            config += ["auth:", "  htpasswd:", "    realm: upstream", f"    path: {htpasswd}"]
        self.config = root / "config.yml"
        self.config.write_text("\n".join(config) + "\n")

    # The process --------------------------------------------------------------------------

    def start(self) -> "UpstreamRegistry":
        with self.access_log.open("ab") as out, self.error_log.open("ab") as err:
            self.proc = subprocess.Popen(
                [self.binary, "serve", str(self.config)], stdout=out, stderr=err
            )
        deadline = time.monotonic() + START_TIMEOUT
        while self._status("GET", "/v2/") is None:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"docker-registry did not start:\n{self.log()}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self.proc = None

    def log(self) -> str:
        return self.error_log.read_text(errors="replace")[-4000:]

    def _status(self, method: str, path: str) -> int | None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request(method, path)
            return conn.getresponse().status
        except OSError:
            return None
        finally:
            conn.close()

    # The access log -----------------------------------------------------------------------

    def requests(self) -> list[tuple[str, str, int]]:
        """(method, path without query, status) of every request served so far, in order.

        A marker request goes first and its line is awaited: the registry writes a request's
        line when it has answered it, so every request answered before the marker is in.
        """
        marker = f"/v2/_wharf_sync/{uuid.uuid4().hex}"
        self._status("GET", marker)
        deadline = time.monotonic() + SYNC_TIMEOUT
        while True:
            lines = ACCESS_RE.findall(self.access_log.read_text(errors="replace"))
            found = [(m, p.split("?", 1)[0], int(s)) for m, p, s in lines]
            if any(path == marker for _, path, _ in found):
                return [entry for entry in found if not entry[1].startswith("/v2/_wharf_sync/")]
            if time.monotonic() > deadline:
                raise AssertionError(f"the access log never showed {marker}")
            time.sleep(0.01)

    def count(self, method: str, path: str) -> int:
        """How many ``method path`` requests the upstream served (any status)."""
        return sum(1 for m, p, _ in self.requests() if m == method and p == path)

    # Images -------------------------------------------------------------------------------

    def copy(self, source: str, target: str, *args: str) -> None:
        """``skopeo copy`` of ``source`` to ``target`` (``repo:tag``) here, as its first user."""
        home = self.root / "skopeo-home"
        home.mkdir(exist_ok=True)
        env = {**os.environ, "HOME": str(home), "REGISTRY_AUTH_FILE": str(home / "auth.json")}
        if self.users:
            username, password = next(iter(self.users.items()))
            args = (*args, "--dest-creds", f"{username}:{password}")
        done = subprocess.run(
            ["skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false", *args]
            + [source, f"docker://{self.host}/{target}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if done.returncode != 0:
            raise AssertionError(f"skopeo copy {source} {target} failed:\n{done.stderr}")

    def push(self, layout: Path, ref: str, target: str, *, all_images=False, docker=False) -> str:
        """Copy ``ref`` of the OCI layout to ``target`` (``repo:tag``); its manifest digest.

        ``docker``: as Docker schema 2 (manifest / manifest list) rather than OCI.
        """
        digestfile = self.root / f"digest-{uuid.uuid4().hex}"
        args = ["--digestfile", str(digestfile)]
        if all_images:
            args.append("--all")
        if docker:
            args += ["--format", "v2s2"]
        self.copy(f"oci:{layout}:{ref}", target, *args)
        return digestfile.read_text().strip()

    def _scratch(self) -> Path:
        self._pushes += 1
        return self.root / "images" / str(self._pushes)

    def push_image(self, repo: str, tag: str = "v1", *, docker=False, **image) -> str:
        """A new random image (tests.registry.conftest.make_image's arguments) as ``repo:tag``:
        every call pushes a new digest, so calling it again moves the tag upstream."""
        layout = make_image(self._scratch(), tag=tag, seed=uuid.uuid4().hex[:8], **image)
        return self.push(layout, tag, f"{repo}:{tag}", docker=docker)

    def push_index(self, repo: str, tag: str = "multi", *, docker=False, **index) -> str:
        """A multi-architecture image (OCI index, or Docker manifest list with ``docker``)."""
        layout = self._scratch()
        make_index(layout, tag=tag, **index)
        return self.push(layout, tag, f"{repo}:{tag}", all_images=True, docker=docker)

    def blob_data(self, digest: str) -> Path:
        """Where the upstream keeps a blob's bytes (its filesystem driver's layout)."""
        algorithm, hexdigest = digest.split(":", 1)
        return (
            self.root
            / "storage/docker/registry/v2/blobs"
            / algorithm
            / hexdigest[:2]
            / hexdigest
            / "data"
        )
