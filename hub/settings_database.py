"""The database settings, read by ``hub.settings``: ``DATABASES`` from ``DATABASE_URL`` (SQLite in
the data dir when unset) and ``WHARF_DB_POOL_SIZE``."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from hub import datadir
from hub.env import env_int, env_str

# PostgreSQL connections each process keeps open for its requests and tasks, at most (psycopg's
# pool); 0 opens one per request instead. Under ASGI every request runs its sync code in a
# context of its own, so without a pool each request pays for a new connection (a backend
# process forked by PostgreSQL, the handshake): a few milliseconds of every page.
WHARF_DB_POOL_SIZE = env_int("WHARF_DB_POOL_SIZE", 20, minimum=0, maximum=1000)
# A request waits this long (seconds) for a pooled connection when all are taken, then fails.
POOL_TIMEOUT = 30


def databases(data_dir: Path) -> dict:
    sqlite_path = data_dir / "wharf.sqlite3"
    url = env_str("DATABASE_URL") or f"sqlite:///{sqlite_path}"
    try:
        # No persistent connections: under ASGI each request's sync code runs in a context of
        # its own, so a kept connection would be stranded there (Django's ASGI deployment
        # notes). PostgreSQL's are pooled instead.
        db = dj_database_url.parse(url, conn_max_age=0)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not usable: {exc}") from exc
    if db["ENGINE"] == "django.db.backends.sqlite3":
        if db["NAME"] and db["NAME"] != ":memory:" and Path(db["NAME"]).parent.is_dir():
            datadir.create_private_file(Path(db["NAME"]))  # 0600, and so are its -wal and -shm
        # WAL lets the web process read while the worker writes; IMMEDIATE avoids the
        # "database is locked" upgrade deadlock between two writers.
        db["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        # A file, not memory, so the live server thread in browser tests sees the same data.
        db["TEST"] = {"NAME": str(data_dir / "test-wharf.sqlite3")}
    elif db["ENGINE"] == "django.db.backends.postgresql":
        options = db.setdefault("OPTIONS", {})
        # Costs for SSD storage: with the default random_page_cost (4, spinning disks) the
        # planner prefers scanning every repository over the search trigram index, at three
        # times the time.
        options["options"] = "-c random_page_cost=1.1"
        if WHARF_DB_POOL_SIZE:
            # Connections opened as needed and kept (idle ones close after 10 minutes); each
            # one handed out is checked first, so a restarted server costs no failed request.
            options["pool"] = {
                "min_size": 1,
                "max_size": WHARF_DB_POOL_SIZE,
                "timeout": POOL_TIMEOUT,
            }
            db["CONN_HEALTH_CHECKS"] = True
    return {"default": db}
