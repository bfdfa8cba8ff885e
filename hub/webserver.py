"""How uvicorn serves Wharf: one set of options for `manage.py serve`, `python -m hub.webserver`
(the web server alone) and the tests' server.

Forwarding headers (X-Forwarded-For, X-Forwarded-Proto) are believed only from
WHARF_TRUSTED_PROXIES. uvicorn's own default believes them from 127.0.0.1, and every local
process is 127.0.0.1 — a RUN step sharing the worker's network, say — so with that default
anyone on the host could pick the client address that sign-in lockouts count by.
"""

import os
import sys

from django.conf import settings


def uvicorn_options() -> dict:
    """Keyword arguments for ``uvicorn.Config`` (app, host and port aside)."""
    trusted = settings.WHARF_TRUSTED_PROXIES
    return {
        "lifespan": "off",
        "server_header": False,
        "proxy_headers": bool(trusted),
        # Always given when proxy headers are on: else uvicorn falls back to $FORWARDED_ALLOW_IPS
        # or 127.0.0.1.
        "forwarded_allow_ips": ",".join(trusted) if trusted else None,
    }


def uvicorn_command(*, host: str, port: int, workers: int = 1) -> list[str]:
    """``python -m uvicorn …`` with the same options as ``uvicorn_options()``.

    A command line rather than ``uvicorn.run`` in-process, so the web process is a plain uvicorn
    one to ps, pgrep and signals. With several ``workers`` that process is uvicorn's supervisor:
    the workers share its listening socket, it starts a new one when one dies, and SIGTERM to
    it stops them all. Nothing in Wharf keeps state in a web process that another would need
    (sessions, caches, uploads, rate limits and websockets live in the database and Redis).
    """
    options = uvicorn_options()
    args = [
        sys.executable, "-m", "uvicorn", "hub.asgi:application",
        "--host", host, "--port", str(port), "--lifespan", options["lifespan"],
        "--server-header" if options["server_header"] else "--no-server-header",
    ]  # fmt: skip
    if workers > 1:
        args += ["--workers", str(workers)]
    if options["proxy_headers"]:
        args += ["--proxy-headers", "--forwarded-allow-ips", options["forwarded_allow_ips"]]
    else:
        args += ["--no-proxy-headers"]
    return args


def main() -> None:
    """``python -m hub.webserver``: the web server alone, as `manage.py serve` runs it, on HOST
    and PORT — for deployments that run web and worker apart (the Dockerfile's command)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
    args = uvicorn_command(
        host=settings.HOST, port=settings.PORT, workers=settings.WHARF_WEB_WORKERS
    )
    os.execv(args[0], args)  # the process becomes uvicorn: signals, ps and pgrep see it as such


if __name__ == "__main__":
    main()
