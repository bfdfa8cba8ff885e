"""Celery beat's scheduler, keeping its schedule file private like the rest of the data dir.

Beat is the clock of the periodic tasks (CELERY_BEAT_SCHEDULE): it only sends them, and any
worker runs them. One beat per deployment: `make run`'s worker runs it (``--beat``, unless
WHARF_BEAT=0), Compose runs it as a service of its own (``celery -A hub beat``). Two beats would
send every task twice; registry gc is guarded anyway (a lock in Redis, hub/tasks.py), the others
are safe to run twice (the reaper's conditional updates, the pull-count flush's own lock).
"""

from celery.beat import PersistentScheduler

from hub import datadir


class PrivateScheduler(PersistentScheduler):
    """PersistentScheduler whose schedule files are 0600.

    Python's fallback dbm (dbm.dumb, when the interpreter has no gdbm) takes the files' mode from
    the umask when the schedule is opened, and chmods its index to that mode on every write; so
    the umask is narrowed around the opening alone. Beat runs in a process of its own (inside the
    worker, or alone), so no other file is made meanwhile.
    """

    def _open_schedule(self):
        with datadir.private_umask():
            return super()._open_schedule()
