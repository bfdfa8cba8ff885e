"""`manage.py serve`: the whole hub in the foreground — web (ASGI), one Celery worker (with beat,
for periodic garbage collection, unless WHARF_BEAT=0) and, when REDIS_URL is unset, a private
redis-server, which is started again if it dies. Ctrl-C or SIGTERM stops all of them.

"Wharf is running" is printed once the web server answers and the worker has sent its first
heartbeat, so a build queued right after it is picked up; a worker that takes longer than
WORKER_TIMEOUT gets a warning and the hub runs anyway (builds wait in the queue)."""

import socket
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from hub import datadir, heartbeat
from hub.models import Repository, Tag
from hub.procs import ProcessError, Supervisor, start_private_redis
from hub.registry import busybox
from hub.services import repository_update
from hub.webserver import uvicorn_command

STARTUP_TIMEOUT = 60
WORKER_TIMEOUT = 60  # seconds the banner waits for the worker's first heartbeat


def _port_open(host: str, port: int) -> bool:
    target = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    try:
        with socket.create_connection((target, port), timeout=0.5):
            return True
    except OSError:
        return False


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and (if REDIS_URL is unset) a private Redis."

    def add_arguments(self, parser):
        parser.add_argument("--no-migrate", action="store_true", help="skip migrate/collectstatic")

    def seed_busybox(self) -> None:
        """Give a fresh hub its official base image, library/busybox:latest, for builds."""
        if Tag.objects.filter(
            repository__namespace__name="library", repository__name="busybox", name="latest"
        ).exists():
            return
        if not busybox.BUSYBOX.exists():
            self.stderr.write("busybox-static is not installed: library/busybox is not seeded.")
            return
        with tempfile.TemporaryDirectory(prefix="wharf-busybox-") as scratch:
            layout = busybox.build_layout(Path(scratch) / "layout")
            call_command("import_image", f"oci:{layout}:latest", "library/busybox:latest")
        repo = Repository.objects.get(namespace__name="library", name="busybox")
        if not repo.description:
            repository_update(repository=repo, **busybox.DESCRIPTIONS)

    def make_data_dir_private(self) -> None:
        """Take the group's and others' bits off everything in the data dir, once at start-up
        (settings only look at the top level): a data dir from before Wharf made it private."""
        skip = [settings.WHARF_BUILD_DIR] if settings.WHARF_BUILD_DIR else []
        fixed, failed = datadir.make_tree_private(settings.DATA_DIR, skip=skip)
        if fixed:
            self.stderr.write(
                f"wharf: made {fixed} files and directories in {settings.DATA_DIR} private "
                "(they were open to others)"
            )
        for problem in failed[:5]:
            self.stderr.write(f"wharf: {problem}")
        if len(failed) > 5:
            self.stderr.write(f"wharf: … and {len(failed) - 5} more that cannot be made private")

    def handle(self, *args, no_migrate=False, **options):
        if _port_open(settings.HOST, settings.PORT):
            raise CommandError(
                f"port {settings.PORT} is already in use; stop what uses it or set PORT=…"
            )
        self.make_data_dir_private()
        supervisor = Supervisor()
        if settings.REDIS_IS_PRIVATE:
            try:
                redis_proc = start_private_redis(settings.DATA_DIR)
            except ProcessError as exc:
                raise CommandError(str(exc)) from exc
            if redis_proc is not None:
                supervisor.adopt(
                    "redis",
                    redis_proc,
                    restart=lambda: start_private_redis(settings.DATA_DIR),
                    hint=f"See {settings.DATA_DIR / 'redis.log'}.",
                )
            self.stdout.write(f"redis:  private redis-server on {settings.REDIS_URL}")

        if not no_migrate:
            with datadir.private_umask():  # collected static files and seeded blobs too
                call_command("migrate", interactive=False, verbosity=1)
                call_command("collectstatic", interactive=False, verbosity=0)
                self.seed_busybox()

        # The web server writes only into the data dir (blobs, uploads). Not so the worker: it
        # prepares the build workspace and runs checkouts whose files' modes end up in images.
        supervisor.spawn(
            "web",
            uvicorn_command(
                host=settings.HOST, port=settings.PORT, workers=settings.WHARF_WEB_WORKERS
            ),
            umask=datadir.OTHERS,
        )
        worker_spawned = time.time()  # heartbeats from before this are an earlier run's
        supervisor.spawn("worker", worker_command(beat=settings.WHARF_BEAT))
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _port_open(settings.HOST, settings.PORT):
            web = supervisor.children["web"]
            if web.poll() is not None or time.monotonic() > deadline:
                supervisor.stop_all()
                raise CommandError("the web server did not start; see the messages above")
            time.sleep(0.1)
        worker = self.wait_for_worker(supervisor, since=worker_spawned, timeout=WORKER_TIMEOUT)
        self.stdout.write(
            self.style.SUCCESS(f"\nWharf is running at {settings.WHARF_URL}/\n")
            + f"  web:    {settings.WHARF_WEB_WORKERS} process(es) (WHARF_WEB_WORKERS)\n"
            + f"  worker: {worker or 'not answering yet: builds wait in the queue'}\n"
            + f"  beat:   {_beat_line()}\n"
            + f"  data:   {settings.DATA_DIR}\n"
            + f"  builds: {_builds_line()}\n"
            + f"  health: {settings.WHARF_URL}/healthz\n"
            + "  admin:  .venv/bin/python manage.py createsuperuser   (makes a staff account)\n"
            + "  others: set WHARF_URL=http://<this host>:<port> so teammates' browsers and\n"
            + "          docker clients can reach it by name\n"
            + "  stop:   Ctrl-C\n"
        )
        self.stdout.flush()
        sys.exit(supervisor.run())

    def wait_for_worker(self, supervisor: Supervisor, *, since: float, timeout: float):
        """The worker's name once its first heartbeat is in Redis; None, with a warning, when it
        has not come within ``timeout`` seconds. Stops everything if the worker exits first."""
        worker = supervisor.children["worker"]
        name = heartbeat.wait_for_worker(
            since=since, timeout=timeout, running=lambda: worker.poll() is None
        )
        if worker.poll() is not None:
            supervisor.stop_all()
            raise CommandError("the worker did not start; see the messages above")
        if name is None:
            self.stderr.write(
                f"wharf: warning: the worker sent no heartbeat within {timeout:g} s; running "
                "anyway. Builds wait in the queue until it does (see its messages above)."
            )
        return name


def worker_command(*, beat: bool) -> list[str]:
    """The Celery worker `serve` runs; with ``beat``, beat (the periodic tasks' clock) inside it.

    Its name is ``wharf-worker@<host name>``: one worker per host. Workers on different hosts
    must have different names (builds are claimed, reaped and cleaned up by worker name).
    """
    args = [
        sys.executable, "-m", "celery", "-A", "hub", "worker",
        "--loglevel", "INFO", "--concurrency", str(settings.WHARF_WORKER_CONCURRENCY),
        "--hostname", "wharf-worker@%h",
    ]  # fmt: skip
    if beat:
        args += ["--beat", "--schedule", str(settings.DATA_DIR / "celerybeat-schedule")]
    return args


def _beat_line() -> str:
    if settings.WHARF_BEAT:
        return "in the worker (periodic gc, build reaper); WHARF_BEAT=0 on every other host"
    return "off here (WHARF_BEAT=0): one other host runs it, or `celery -A hub beat` does"


def _builds_line() -> str:
    """Where builds keep their files and as whom they run (the worker decides the same way)."""
    from builds import sandbox

    try:
        box = sandbox.current()
    except OSError as exc:
        return f"cannot prepare the build workspace: {exc}"
    line = f"{box.root}  (as {box.user})"
    return f"{line}\n          {box.note}" if box.note else line
