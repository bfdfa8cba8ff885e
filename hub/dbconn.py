"""This thread's database connection, handed back before long work that needs none.

With PostgreSQL's pool (WHARF_DB_POOL_SIZE) a process has a few connections for all its
requests; one held through a blob's bytes (minutes, for a large layer on a slow link) is one
fewer for every other request, and Django would hold it until the response ends."""

from django.db import connection


def release() -> None:
    """Give the connection back (to the pool, or closed) unless a transaction needs it; the
    next query takes or opens one again."""
    if not connection.in_atomic_block:
        connection.close()


def release_if_pooled() -> None:
    """The same, only when connections are pooled: for a thread that queries often and would
    otherwise keep its own connection open (cheaper than reconnecting without a pool)."""
    if connection.settings_dict["OPTIONS"].get("pool"):
        release()
