import socket
import threading
import time
import uuid

import pytest
import uvicorn
from django.core.management import call_command

from tests.dockerd import dockerd  # noqa: F401  (a session fixture)
from tests.factories import UserFactory
from tests.s3 import s3_server, use_s3  # noqa: F401  (a session fixture)


@pytest.fixture(scope="session", autouse=True)
def _static_manifest(django_test_environment):
    """Pages use whitenoise's hashed names, which need the manifest collectstatic writes."""
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def _no_stray_sessions_at_teardown(django_db_setup, django_db_blocker):
    """Close what the ASGI server's and workers' threads left open on the test database.

    Their connections belong to threads that are gone, so Django never closes them, and
    PostgreSQL then refuses to drop the test database ("being accessed by other users").
    """
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="session", autouse=True)
def _private_celery_queue():
    """Tasks the tests queue go to a queue of this run's own, never to a hub's worker on the
    machine; the queue is dropped at the end."""
    from hub import celery_app

    queue = f"wharf-test-{uuid.uuid4().hex[:10]}"
    celery_app.conf.task_default_queue = queue
    yield queue
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_delete(queue)


@pytest.fixture
def celery_worker(transactional_db, _private_celery_queue):
    """A real Celery worker (threads) consuming the run's queue while the test lasts."""
    from celery.contrib.testing.worker import start_worker

    from hub import celery_app

    with start_worker(
        celery_app,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        loglevel="WARNING",
        queues=[_private_celery_queue],
    ) as worker:
        yield worker


@pytest.fixture(autouse=True)
def _isolated_redis_keys(settings):
    """Each test gets its own Redis key prefix: rate-limit counters never leak between tests."""
    settings.WHARF_REDIS_PREFIX = f"wharf-test:{uuid.uuid4().hex[:12]}"


@pytest.fixture
def blob_store_kind() -> str:
    """The blob store a test runs on; tests/registry and tests/proxy run on both
    (``parametrize_stores`` in their conftests)."""
    return "filesystem"


@pytest.fixture(autouse=True)
def _isolated_blob_store(settings, tmp_path, blob_store_kind, request):
    """Each test stores blobs and uploads in its own directory, or its own bucket of the test
    S3 (tests/s3.py)."""
    settings.WHARF_REGISTRY_DIR = tmp_path / "registry"
    settings.WHARF_STORAGE_URL = ""
    settings.WHARF_S3_REDIRECT = False
    if blob_store_kind != "s3":
        yield
        return
    server = request.getfixturevalue("s3_server")
    bucket = server.new_bucket()
    use_s3(settings, server, bucket)
    yield
    server.drop_bucket(bucket)


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AsgiServer:
    """Wharf's real ASGI application served by uvicorn in a thread, on a free loopback port."""

    def __init__(self):
        from hub.asgi import application
        from hub.webserver import uvicorn_options

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The options `manage.py serve` runs uvicorn with (forwarding headers trusted alike).
        config = uvicorn.Config(
            application,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            **uvicorn_options(),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def asgi_server(transactional_db, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    server = AsgiServer().start()
    yield server
    server.stop()
