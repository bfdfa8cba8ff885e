"""Celery beat's scheduler, keeping its schedule file private like the rest of the data dir."""

from celery.beat import PersistentScheduler

from hub import datadir


class PrivateScheduler(PersistentScheduler):
    """PersistentScheduler whose schedule files are 0600.

    Python's fallback dbm (dbm.dumb, when the interpreter has no gdbm) takes the files' mode from
    the umask when the schedule is opened, and chmods its index to that mode on every write; so
    the umask is narrowed around the opening alone. Beat runs in a process of its own inside the
    worker, so no other file is made meanwhile.
    """

    def _open_schedule(self):
        with datadir.private_umask():
            return super()._open_schedule()
