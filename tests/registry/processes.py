"""Wharf's web server as separate OS processes on the test's database, Redis and blob store.

The in-thread server of tests/conftest.py shares the test process's memory, so whatever a
per-process cache holds there, the test and its server hold alike. These are uvicorn processes
started as `manage.py serve` starts them: what one of them keeps in memory, neither the others
nor the test can see, as between the web workers of a real deployment.
"""

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from hub.webserver import uvicorn_command
from tests.conftest import free_port
from tests.registry.conftest import Http

BASE_DIR = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """DATABASE_URL of the database the tests run on (pytest-django's test database)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"  # an absolute path: sqlite:////…
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{auth}@{db['HOST'] or 'localhost'}{port}/{quote(db['NAME'])}"
    raise NotImplementedError(f"no DATABASE_URL for {connection.vendor}")


class WebProcess:
    """One uvicorn process serving ``hub.asgi:application`` on a loopback port."""

    def __init__(self, *, port: int, env: dict, log: Path):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.http = Http(self.url)
        self.env = env
        self.log_path = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("wb") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                uvicorn_command(host="127.0.0.1", port=self.port),
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        """Until ``/v2/`` answers (401 without credentials: Django and the database are up)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"web process exited ({self.proc.returncode}):\n{self.log()}")
            try:
                if self.http.request("GET", "/v2/")[0] in (200, 401):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"web process did not answer in {timeout}s:\n{self.log()}")
            time.sleep(0.05)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


@dataclass
class Web:
    """Web processes sharing one service name, database, Redis prefix and data directory."""

    processes: list[WebProcess]
    url: str  # WHARF_URL of all of them: tokens one issues, the others accept
    redis_prefix: str
    data_dir: Path  # WHARF_DATA_DIR: blobs in data_dir / "registry"

    @property
    def registry_dir(self) -> Path:
        return self.data_dir / "registry"

    def __iter__(self) -> Iterator[Http]:
        return (process.http for process in self.processes)

    @property
    def a(self) -> Http:
        return self.processes[0].http

    @property
    def b(self) -> Http:
        return self.processes[1].http


@contextmanager
def web_processes(
    data_dir: Path,
    count: int = 2,
    *,
    separate_hosts: bool = False,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Web]:
    """``count`` web processes on the test database, stopped (and waited for) on exit.

    The test must then use ``redis_prefix`` and ``registry_dir`` too (settings
    WHARF_REDIS_PREFIX and WHARF_REGISTRY_DIR), and committed data only (transactional_db).
    With ``separate_hosts`` each process has a data dir of its own (``data_dir/host-<i>``), as
    on hosts that share no disk: blobs must then be in the test's S3 (the blob store settings
    are passed on). ``extra_env``: more settings (or a DATABASE_URL of its own) for them all.
    """
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    web = Web(
        processes=[],
        url=f"http://127.0.0.1:{ports[0]}",
        redis_prefix=f"wharf-test:{uuid.uuid4().hex[:12]}",
        data_dir=data_dir,
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hub.settings",
        "WHARF_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "WHARF_REDIS_PREFIX": web.redis_prefix,
        "WHARF_URL": web.url,
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1",
        "WHARF_STORAGE_URL": settings.WHARF_STORAGE_URL,
        "WHARF_S3_ENDPOINT_URL": settings.WHARF_S3_ENDPOINT_URL,
        "WHARF_S3_REGION": settings.WHARF_S3_REGION,
        "WHARF_S3_REDIRECT": "1" if settings.WHARF_S3_REDIRECT else "0",
        **(extra_env or {}),
    }
    own = [data_dir / f"host-{i}" if separate_hosts else data_dir for i in range(count)]
    web.processes = [
        WebProcess(
            port=port, env={**env, "WHARF_DATA_DIR": str(own[i])}, log=own[i] / f"web-{i}.log"
        )
        for i, port in enumerate(ports)
    ]
    for path in own:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        for process in web.processes:  # all start together: one start-up's wait, not count
            process.start()
        for process in web.processes:
            process.wait_ready()
        yield web
    finally:
        for process in web.processes:
            process.stop()
