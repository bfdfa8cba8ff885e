"""Wharf as on two hosts: two web processes and two Celery workers, each an OS process with a data
directory of its own, sharing only what hosts share — the database (PostgreSQL), Redis, the S3
endpoint (tests/s3.py's moto server) and the settings that must be equal everywhere.

Nothing here reaches into a process: they are started as an operator starts them
(`python -m uvicorn hub.asgi:application` as `hub.webserver` runs it, `celery -A hub worker`),
and the tests speak HTTP and websockets to them.

Redis is a redis-server of the cluster's own (hub.procs starts it, as `make test` starts the
run's): Celery's queue and the channel layer's group names carry no per-test prefix, so on a
Redis that other tests share, another run's worker could take this cluster's build, or the other
way round.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from builds import sandbox
from hub.procs import start_private_redis, stop
from tests.conftest import free_port
from tests.hub.serving import request
from tests.registry.processes import BASE_DIR, WebProcess, database_url
from tests.s3 import PREFIX, MotoServer

# Whatever the run's environment says about these, each process here gets its own or none.
PER_HOST = {"WHARF_DATA_DIR", "WHARF_BUILD_DIR", "WHARF_BUILD_REGISTRY", "REDIS_URL", "PORT"}


@dataclass
class WorkerProcess:
    """``celery -A hub worker`` under a name of its own (builds are claimed by worker name)."""

    name: str
    env: dict
    log_path: Path
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "hub", "worker", "--loglevel", "INFO",
                 "--concurrency", "1", "--hostname", self.name],
                cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    @property
    def build_dir(self) -> Path:
        """Its host's build workspace (layer stores under ``repos/``)."""
        return Path(self.env["WHARF_BUILD_DIR"])

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # warm shutdown: running builds are cancelled
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


@dataclass
class Cluster:
    a: WebProcess
    b: WebProcess
    workers: list[WorkerProcess]
    url: str  # WHARF_URL of every process: the address a load balancer would have
    redis_url: str
    redis_prefix: str
    bucket: str
    s3: MotoServer
    data_dirs: list[Path] = field(default_factory=list)

    @property
    def broker_url(self) -> str:
        return "redis+socket://" + self.redis_url.removeprefix("unix://")  # kombu's spelling

    def logs(self) -> str:
        """Every process's last output, for a failing assertion's message."""
        parts = [f"--- web {p.url}\n{p.log()}" for p in (self.a, self.b)]
        parts += [f"--- worker {w.name}\n{w.log()}" for w in self.workers]
        return "\n".join(parts)

    def use(self, settings) -> None:
        """Point the test process at the cluster's Redis, key prefix, public URL and bucket."""
        settings.REDIS_URL = self.redis_url
        settings.WHARF_REDIS_PREFIX = self.redis_prefix
        settings.WHARF_URL = self.url
        settings.WHARF_STORAGE_URL = f"s3://{self.bucket}/{PREFIX}"
        settings.WHARF_S3_ENDPOINT_URL = self.s3.url
        settings.WHARF_S3_REGION = "us-east-1"
        settings.WHARF_S3_REDIRECT = False


def _wait_for_workers(web: WebProcess, names: set[str], timeout: float = 90) -> None:
    """Until ``web``'s /healthz lists every worker: their heartbeats reached the shared Redis."""
    deadline = time.monotonic() + timeout
    seen: list = []
    while time.monotonic() < deadline:
        try:
            seen = request(web.url + "/healthz").json()["workers"]
        except (OSError, ValueError, KeyError):
            seen = []
        if names <= set(seen):
            return
        time.sleep(0.2)
    raise RuntimeError(f"workers {sorted(names)} did not beat within {timeout}s (saw {seen})")


@contextmanager
def two_hosts(root: Path, s3: MotoServer) -> Iterator[Cluster]:
    """Web processes A and B and workers 1 and 2, started together and stopped on exit."""
    with ExitStack() as cleanup:
        scratch = Path(tempfile.mkdtemp(prefix="wharf-mh-"))  # short: a Unix socket's path
        cleanup.callback(shutil.rmtree, scratch, ignore_errors=True)
        redis_proc = start_private_redis(scratch)
        cleanup.callback(stop, [redis_proc])
        bucket = s3.new_bucket()
        cleanup.callback(s3.drop_bucket, bucket)

        ports = [free_port()]
        while len(ports) < 2:
            if (port := free_port()) not in ports:
                ports.append(port)
        url = f"http://127.0.0.1:{ports[0]}"
        redis_url = f"unix://{scratch}/redis.sock"
        prefix = f"wharf-test:{uuid.uuid4().hex[:12]}"
        # The settings every host must agree on (README, "Running on several hosts").
        shared = {
            **{k: v for k, v in os.environ.items() if k not in PER_HOST},
            "DJANGO_SETTINGS_MODULE": "hub.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "WHARF_REDIS_PREFIX": prefix,
            "SECRET_KEY": settings.SECRET_KEY,
            "WHARF_URL": url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "WHARF_STORAGE_URL": f"s3://{bucket}/{PREFIX}",
            "WHARF_S3_ENDPOINT_URL": s3.url,
            "WHARF_S3_REGION": "us-east-1",
            # Git servers and registries of the tests listen on 127.0.0.1.
            "WHARF_BUILD_ALLOW_PRIVATE_SOURCES": "1",
            "PYTHONUNBUFFERED": "1",
        }

        def data_dir(name: str) -> Path:
            path = root / name
            path.mkdir(mode=0o700)
            return path

        web = [
            WebProcess(port=port, env={**shared, "WHARF_DATA_DIR": str(data_dir(name))},
                       log=root / f"{name}.log")
            for name, port in (("web-a", ports[0]), ("web-b", ports[1]))
        ]  # fmt: skip
        workers = []
        for i, pushes_to in ((1, web[0]), (2, web[1])):
            # The build user's layer stores, beside the default one so that it may reach them.
            builds = Path(tempfile.mkdtemp(prefix="test-mh-", dir=sandbox.current().root.parent))
            cleanup.callback(shutil.rmtree, builds, ignore_errors=True)
            env = {
                **shared,
                "WHARF_DATA_DIR": str(data_dir(f"worker-{i}")),
                "WHARF_BUILD_DIR": str(builds),
                "WHARF_BUILD_REGISTRY": pushes_to.url,
            }
            workers.append(WorkerProcess(f"wharf-worker-{i}@multihost", env, root / f"w{i}.log"))
        for process in [*web, *workers]:  # all start together: one start-up's wait
            cleanup.callback(process.stop)
            process.start()
        cluster = Cluster(
            a=web[0], b=web[1], workers=workers, url=url, redis_url=redis_url,
            redis_prefix=prefix, bucket=bucket, s3=s3,
            data_dirs=[root / n for n in ("web-a", "web-b", "worker-1", "worker-2")],
        )  # fmt: skip
        try:
            for process in web:
                process.wait_ready()
            _wait_for_workers(web[1], {w.name for w in workers})
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{cluster.logs()}") from None
        yield cluster
