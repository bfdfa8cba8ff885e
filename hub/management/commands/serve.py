"""`manage.py serve`: the whole hub in the foreground — web (ASGI), one Celery worker and,
when REDIS_URL is unset, a private redis-server. Ctrl-C or SIGTERM stops all of them."""

import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from hub.env import env_int, env_str
from hub.procs import ProcessError, Supervisor, start_private_redis


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and (if REDIS_URL is unset) a private Redis."

    def add_arguments(self, parser):
        parser.add_argument("--no-migrate", action="store_true", help="skip migrate/collectstatic")

    def handle(self, *args, no_migrate=False, **options):
        supervisor = Supervisor()
        if settings.REDIS_IS_PRIVATE:
            try:
                redis_proc = start_private_redis(settings.DATA_DIR)
            except ProcessError as exc:
                raise CommandError(str(exc)) from exc
            if redis_proc is not None:
                supervisor.adopt("redis", redis_proc)
            self.stdout.write(f"redis:  private redis-server on {settings.REDIS_URL}")

        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=1)
            call_command("collectstatic", interactive=False, verbosity=0)

        host = env_str("HOST", "0.0.0.0")
        concurrency = env_int("WHARF_WORKER_CONCURRENCY", 2, minimum=1, maximum=64)
        supervisor.spawn(
            "web",
            [
                sys.executable, "-m", "uvicorn", "hub.asgi:application",
                "--host", host, "--port", str(settings.PORT),
                "--proxy-headers", "--lifespan", "off", "--no-server-header",
            ],
        )  # fmt: skip
        supervisor.spawn(
            "worker",
            [
                sys.executable, "-m", "celery", "-A", "hub", "worker",
                "--loglevel", "INFO", "--concurrency", str(concurrency),
                "--hostname", "wharf-worker@%h",
            ],
        )  # fmt: skip
        self.stdout.write(
            self.style.SUCCESS(f"\nWharf is running at {settings.WHARF_URL}/\n")
            + f"  data:   {settings.DATA_DIR}\n"
            + f"  health: {settings.WHARF_URL}/healthz\n"
            + "  admin:  .venv/bin/python manage.py createsuperuser   (makes a staff account)\n"
            + "  stop:   Ctrl-C\n"
        )
        self.stdout.flush()
        sys.exit(supervisor.run())
