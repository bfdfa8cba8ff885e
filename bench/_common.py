"""What bench/registry.py and bench/registry_requests.py share: Wharf and the reference registry
started on loopback ports in a scratch directory, test images, registry tokens, and the RSS of
Wharf's web processes."""

import base64
import contextlib
import gzip
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from hub.registry.ocilayout import LAYER_GZIP, LAYER_TAR, LayoutWriter

BASE_DIR = Path(__file__).resolve().parent.parent
# What may change Wharf's settings: the bench runs it with defaults. WHARF_WEB_WORKERS passes.
_KEEP = {"WHARF_WEB_WORKERS"}
_DROP = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "HOST", "PORT"}
MANIFEST_ACCEPT = (
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # answering, even if with 401
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


class _Random:
    """A file of ``size`` random bytes for tarfile to read, never on disk or all in memory."""

    def __init__(self, size: int):
        self.left = size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return os.urandom(n)


class _Hashing:
    """Writes through to ``fh`` and hashes what passes: the diff_id of a layer being gzipped."""

    def __init__(self, fh):
        self.fh, self.sha = fh, hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        return self.fh.write(data)


def _write_tar(fh, info: tarfile.TarInfo) -> "_Hashing":
    """A tar of one random file of ``info.size`` bytes into ``fh``; the hash of the tar."""
    out = _Hashing(fh)
    with tarfile.open(fileobj=out, mode="w|") as tar:
        tar.addfile(info, _Random(info.size))
    return out


def make_image(dest: Path, size_mib: float, layers: int = 1, *, compressed: bool = True) -> dict:
    """An OCI layout at ``dest`` with tag v1: ``layers`` layers of random (incompressible) data.

    ``compressed``: the layers are stored gzipped (level 1: random data does not shrink), so
    skopeo sends them as they are and both registries get exactly these blobs. Otherwise they
    are plain tars, which skopeo gzips on the fly while pushing. Returns the manifest descriptor.
    """
    writer = LayoutWriter(dest)
    descriptors = []
    per_layer = int(size_mib * 1024 * 1024) // layers
    for i in range(layers):
        path = dest / f"layer{i}"
        info = tarfile.TarInfo(f"data/{i}.bin")
        info.size, info.mode = per_layer, 0o644
        with open(path, "wb") as raw:
            if compressed:
                with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gz:
                    out = _write_tar(gz, info)
            else:
                out = _write_tar(raw, info)
        descriptor = writer.add_file(path, LAYER_GZIP if compressed else LAYER_TAR)
        descriptors.append((descriptor, f"sha256:{out.sha.hexdigest()}"))
    manifest = writer.add_image(
        layers=descriptors, config={"architecture": "amd64", "os": "linux"}, tag="v1"
    )
    writer.close()
    return manifest


@contextlib.contextmanager
def scratch_database(server_url: str | None, suffix: str = ""):
    """None (Wharf's default SQLite), or a fresh PostgreSQL database on ``server_url``'s server,
    dropped afterwards. Yields the DATABASE_URL to give Wharf. ``suffix`` tells apart the
    databases of several Wharfs in one bench."""
    if not server_url:
        yield None
        return
    import psycopg  # only needed here; in Wharf's requirements

    parts = urllib.parse.urlsplit(server_url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("--database-url: only postgres:// URLs are supported")
    name = f"wharf_bench_{os.getpid()}{suffix}"
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Wharf:
    proc: subprocess.Popen
    url: str
    host: str  # host:port, the token service name and the registry's address for skopeo
    user: str
    pat: str
    env: dict = field(default_factory=dict)  # what it runs with, for `manage.py shell` on it
    python: str = ""
    cwd: Path | None = None

    def shell(self, code: str) -> str:
        """Run ``code`` in `manage.py shell` against this Wharf (its data dir and database)."""
        done = subprocess.run(
            [self.python, "manage.py", "shell", "-c", code],
            cwd=self.cwd, env=self.env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        return done.stdout

    def token(self, scope: str, *, anonymous: bool = False) -> str:
        """A registry token from /token for ``scope``, checked to grant what was asked."""
        query = urllib.parse.urlencode({"service": self.host, "scope": scope})
        request = urllib.request.Request(f"{self.url}/token?{query}")
        if not anonymous:
            request.add_header("Authorization", basic(self.user, self.pat))
        with urllib.request.urlopen(request, timeout=30) as response:
            token = json.load(response)["token"]
        if not grants(token, scope):
            raise SystemExit(f"/token did not grant {scope} (anonymous: {anonymous})")
        return token


def grants(token: str, scope: str) -> bool:
    """Whether the registry JWT ``token`` grants all of ``scope`` (repository:NAME:ACTIONS)."""
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    _, name, actions = scope.split(":")
    for grant in claims.get("access", []):
        if grant.get("name") == name and set(actions.split(",")) <= set(grant["actions"]):
            return True
    return False


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def start_wharf(
    scratch: Path,
    wharf_dir: Path,
    database_url: str | None,
    log: Path,
    extra_env: dict[str, str] | None = None,
) -> Wharf:
    """`manage.py serve` of the checkout ``wharf_dir`` on a free port with a data dir in
    ``scratch``, after migrating and making the user ``bench`` with a read-write access token.
    ``extra_env``: settings it runs with besides the defaults (the blob store, say)."""
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k in _KEEP or not (k in _DROP or k.startswith("WHARF_"))
    }
    env.update(extra_env or {})
    env.update(
        WHARF_DATA_DIR=str(scratch / "wharf"),
        PORT=str(port),
        HOST="127.0.0.1",
        WHARF_URL=f"http://127.0.0.1:{port}",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    python = str(wharf_dir / ".venv" / "bin" / "python")
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=wharf_dir, env=env, check=True)
    make_user = (
        "from accounts.services import user_create, access_token_create as t;"
        "u = user_create(username='bench', email='b@example.test', password='bench-pass-1');"
        "print(t(user=u, description='bench', scope='read_write')[1])"
    )
    out = subprocess.run(
        [python, "manage.py", "shell", "-c", make_user],
        cwd=wharf_dir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    pat = out.stdout.strip().splitlines()[-1]
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [python, "manage.py", "serve", "--no-migrate"],
            cwd=wharf_dir,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: nothing left behind at the end
        )
    wharf = Wharf(
        proc, f"http://127.0.0.1:{port}", f"127.0.0.1:{port}", "bench", pat, env, python, wharf_dir
    )
    deadline = time.monotonic() + 90
    while not web_pids(proc.pid) or not _answers(f"{wharf.url}/v2/"):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_wharf(wharf)
            raise SystemExit(f"Wharf did not start; see {log}:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    return wharf


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)
    except urllib.error.HTTPError:
        pass  # 401: answering
    except OSError:
        return False
    return True


def stop_wharf(wharf: Wharf) -> None:
    """SIGTERM to `manage.py serve`, which stops its children; whatever is left is killed."""
    if wharf.proc.poll() is None:
        wharf.proc.send_signal(signal.SIGTERM)
        try:
            wharf.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            print("wharf: serve did not stop within 60 s; killing it")
    with contextlib.suppress(ProcessLookupError):
        os.killpg(wharf.proc.pid, signal.SIGKILL)  # only leftovers of its own process group
    wharf.proc.wait()


def start_reference(scratch: Path, storage: str | None = None) -> tuple[subprocess.Popen, str]:
    """Debian's docker-registry (the reference Go registry), no auth; filesystem storage under
    ``scratch``, or ``storage``: the YAML of another storage section (indented by two)."""
    registry_bin = shutil.which("docker-registry")
    if registry_bin is None:
        raise SystemExit("the reference registry is missing: bash scripts/setup.sh bench")
    port = free_port()
    config = scratch / "registry.yml"
    storage = storage or f"  filesystem:\n    rootdirectory: {scratch / 'reference'}\n"
    config.write_text(
        # No access log: a line per request would be the reference's cost, not the registry's.
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n{storage}  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    # The Go AWS SDK refuses AWS_CA_BUNDLE with the driver's own HTTP transport (it panics);
    # the S3 of the bench is plain HTTP on loopback anyway.
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    proc = subprocess.Popen(
        [registry_bin, "serve", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    wait_http(f"http://127.0.0.1:{port}/v2/")
    return proc, f"127.0.0.1:{port}"


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=30)


def web_pids(serve_pid: int) -> set[int]:
    """Wharf's web processes under ``serve_pid``: every uvicorn one and everything under it
    (workers of a multi-process uvicorn), not the Celery worker or Redis."""
    children: dict[int, list[int]] = {}
    cmdlines: dict[int, bytes] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdlines[int(entry.name)] = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()

    def walk(pid: int, inside_web: bool) -> None:
        for child in children.get(pid, []):
            web = inside_web or b"uvicorn" in cmdlines.get(child, b"")
            if web:
                found.add(child)
            walk(child, web)

    walk(serve_pid, False)
    return found


def rss_mib(pids, field: str = "VmRSS") -> float:
    """The sum of ``field`` (VmRSS now, VmHWM the peak so far) over ``pids``, in MiB."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(f"{field}:"):
                    total += int(line.split()[1])
    return total / 1024


def cpu_seconds(pids) -> float:
    """CPU time (user + system, every thread) ``pids`` have used so far, in seconds: what a
    pull costs the web processes, which on a loaded machine says more than wall time."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / os.sysconf("SC_CLK_TCK")


SETTLE_SECONDS = 3


def skopeo(args: list[str], home: Path) -> float:
    """Seconds one ``skopeo`` command took; a fresh HOME means a fresh blob-info cache (no
    cross-repository mount shortcuts). Dirty pages are written out first, and the disk given a
    moment to settle, so neither side pays for the writes of what ran before it (the image just
    made, the other side's push): on a virtual machine the host goes on writing after the sync."""
    env = {**os.environ, "HOME": str(home)}
    os.sync()
    time.sleep(SETTLE_SECONDS)
    start = time.perf_counter()
    done = subprocess.run(
        ["skopeo", "--insecure-policy", *args], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"skopeo {' '.join(args)} failed:\n{done.stderr}")
    return time.perf_counter() - start


def manifest_digest(host: str, repo: str, tag: str, token: str | None = None) -> str:
    """Docker-Content-Digest of ``repo:tag`` as the registry at ``host`` serves it."""
    request = urllib.request.Request(
        f"http://{host}/v2/{repo}/manifests/{tag}",
        method="HEAD",
        headers={"Accept": MANIFEST_ACCEPT},
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers["Docker-Content-Digest"]


@contextlib.contextmanager
def both_registries(wharf_dir: Path, database_url: str | None):
    """(scratch dir, Wharf, the reference's host:port), all stopped and removed on exit."""
    with contextlib.ExitStack() as stack:
        scratch = Path(tempfile.mkdtemp(prefix="wharf-bench-"))
        stack.callback(shutil.rmtree, scratch, ignore_errors=True)
        database_url = stack.enter_context(scratch_database(database_url))
        wharf = start_wharf(scratch, wharf_dir.resolve(), database_url, scratch / "log")
        stack.callback(stop_wharf, wharf)
        reference, ref_host = start_reference(scratch)
        stack.callback(stop, reference)
        yield scratch, wharf, ref_host
