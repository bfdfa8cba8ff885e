"""Build benchmarks against a Wharf started here (`manage.py serve`, private Redis, SQLite).

.venv/bin/python bench/builds.py overhead [--rounds 3]
    the same small Dockerfile built through Wharf (queue → clone → buildah → push → success)
    against `buildah bud && buildah push` by hand; prints both medians and the ratio.
.venv/bin/python bench/builds.py logs [--lines 100000]
    a build whose RUN step prints N lines, watched over the websocket: prints lines/s and the
    p50/p95 latency from the worker reading a line to the websocket client receiving it.
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = str(BASE_DIR / ".venv" / "bin" / "python")
DOCKERFILE = """\
FROM busybox
ARG ROUND=0
COPY app.txt /srv/app.txt
RUN echo "round $ROUND" > /srv/round.txt && wc -c /srv/app.txt
CMD ["cat", "/srv/app.txt"]
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def git_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(path),
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.test",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.test",
    }
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True, env=env)
    for name, content in files.items():
        (path / name).write_text(content)
    subprocess.run(["git", "add", "-A"], cwd=path, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "bench"], cwd=path, check=True, env=env)
    return path


class Hub:
    """A Wharf of its own in a scratch directory; Django is set up in this process too."""

    def __init__(self, scratch: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        self.env.update(
            WHARF_DATA_DIR=str(scratch / "data"),
            PORT=str(self.port),
            HOST="127.0.0.1",
            WHARF_URL=self.url,
            WHARF_BUILD_ALLOW_LOCAL_SOURCES="1",
        )
        os.environ.update(self.env)
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)
        self.log = open(scratch / "serve.log", "w")
        self.proc = subprocess.Popen(
            [PYTHON, "manage.py", "serve"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if json.load(response)["workers"]:
                        break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit("Wharf did not start; see " + self.log.name)
        sys.path.insert(0, str(BASE_DIR))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
        import django

        django.setup()

    def repository(self, name: str):
        from accounts.models import User
        from hub.services import repository_get_or_create

        user = User.objects.filter(username="bench").first() or User.objects.create_user(
            "bench", "bench@example.test", "bench-password-1"
        )
        return user, repository_get_or_create(namespace="bench", name=name, user=user)

    def build(self, repo, source: Path, **kwargs):
        from builds.services import build_create

        return build_create(
            repository=repo,
            source_url=f"file://{source}",
            source_ref="main",
            tags=["latest"],
            **kwargs,
        )

    def wait(self, build, timeout: float = 600):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            build.refresh_from_db()
            if build.is_final:
                return build
            time.sleep(0.05)
        raise SystemExit(f"build {build.pk} did not finish")

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=60)


def overhead(hub: Hub, scratch: Path, rounds: int) -> None:
    from accounts.services import access_token_create

    user, repo = hub.repository("overhead")
    _, token = access_token_create(user=user, description="bench", scope="read_write")
    host = hub.url.removeprefix("http://")
    storage = [
        "--root",
        str(scratch / "manual" / "root"),
        "--runroot",
        str(scratch / "manual" / "run"),
        "--storage-driver",
        "vfs",
    ]
    home = scratch / "manual" / "home"
    (home / ".config" / "containers").mkdir(parents=True)
    (home / ".config" / "containers" / "registries.conf").write_text(
        f'unqualified-search-registries = ["{host}"]\n[[registry]]\nlocation = "{host}"\n'
        "insecure = true\n"
    )
    env = {"PATH": os.environ["PATH"], "HOME": str(home)}
    wharf, manual = [], []
    for i in range(rounds):
        source = git_repo(
            scratch / f"src{i}", {"Dockerfile": DOCKERFILE, "app.txt": f"{i}\n" * 100}
        )
        start = time.perf_counter()
        build = hub.wait(hub.build(repo, source, build_args={"ROUND": str(i)}))
        wharf.append(time.perf_counter() - start)
        assert build.status == "success", build.error
        start = time.perf_counter()
        subprocess.run(
            [
                "buildah",
                *storage,
                "bud",
                "--isolation",
                "chroot",
                "--layers",
                "--tls-verify=false",
                "--build-arg",
                f"ROUND={i}",
                "-t",
                "manual",
                str(source),
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        subprocess.run(
            [
                "buildah",
                *storage,
                "push",
                "--tls-verify=false",
                "--creds",
                f"bench:{token}",
                "manual",
                f"docker://{host}/bench/manual:latest",
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        manual.append(time.perf_counter() - start)
        print(f"round {i + 1}: wharf {wharf[-1]:.2f}s, by hand {manual[-1]:.2f}s", flush=True)
    w, m = statistics.median(wharf), statistics.median(manual)
    print(f"\nmedian of {rounds}: through Wharf {w:.2f}s, by hand {m:.2f}s, ratio {w / m:.2f}")


async def watch(url: str, expected: int) -> list[tuple[int, float]]:
    import websockets

    received: dict[int, float] = {}
    async with websockets.connect(url, max_size=None, origin="http://127.0.0.1") as ws:
        while len(received) < expected:
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=600))
            except websockets.ConnectionClosed:
                print(f"connection closed after {len(received)} lines", flush=True)
                break
            now = time.time()
            if message.get("type") == "lines":
                for line in message["lines"]:
                    received.setdefault(line["seq"], now)
            elif message.get("type") == "status":
                print(f"status {message.get('status')} after {len(received)} lines", flush=True)
            if message.get("type") == "status" and message.get("status") in (
                "failed",
                "error",
                "cancelled",
                "timed_out",
            ):
                raise SystemExit(f"build ended {message['status']}: {message.get('error')}")
    return sorted(received.items())


def logs(hub: Hub, scratch: Path, count: int) -> None:
    from builds.models import BuildLogLine

    _, repo = hub.repository("logs")
    dockerfile = f"FROM busybox\nRUN seq 1 {count}\n"
    source = git_repo(scratch / "logsrc", {"Dockerfile": dockerfile})
    build = hub.build(repo, source)
    ws = hub.url.replace("http://", "ws://") + f"/ws/builds/{build.pk}/?after=0"
    started = time.time()
    received = asyncio.run(watch(ws, expected=count))
    build = hub.wait(build)
    stamps = dict(BuildLogLine.objects.filter(build=build).values_list("seq", "created_at"))
    numeric = BuildLogLine.objects.filter(build=build, text__regex=r"^[0-9]+$").count()
    print(f"stored {len(stamps)} lines, of which {numeric} printed by the RUN step")
    latencies = sorted(
        (at - stamps[seq].timestamp()) * 1000 for seq, at in received if seq in stamps
    )
    numbers = [seq for seq, _ in received]
    gaps = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
    span = received[-1][1] - started
    print(
        f"{len(received)} lines received in {span:.1f}s ({len(received) / span:,.0f} lines/s), "
        f"gaps: {len(gaps)}, build {build.status}"
    )
    p = lambda q: latencies[min(len(latencies) - 1, int(len(latencies) * q))]  # noqa: E731
    print(
        f"latency worker-read → websocket: p50 {p(0.5):.1f} ms, p95 {p(0.95):.1f} ms, "
        f"max {latencies[-1]:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=["overhead", "logs"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="wharf-bench-builds-"))
    scratch.chmod(0o755)  # a root worker's build user clones the sources from here
    hub = Hub(scratch)
    try:
        if args.which == "overhead":
            overhead(hub, scratch, args.rounds)
        else:
            logs(hub, scratch, args.lines)
    finally:
        hub.stop()
        from builds import sandbox

        shutil.rmtree(sandbox.current().root, ignore_errors=True)  # this hub's layer store
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
