"""What a Celery worker does for builds when it starts and when it stops.

Starting, it cleans up after an earlier self that was killed: builds it was running end as lost
(it runs none yet), their scratch directories go (with any credential file in them, already
revoked with the build), processes of theirs that outlived it are killed, the shared layer store
of older Wharf versions goes, and the per-repository stores are pruned.

Stopping (SIGTERM, Ctrl-C of ``make run``), it asks its running builds to cancel, so they end
within seconds as ``cancelled`` ("the worker stopped") instead of minutes later as lost.

Each pool process watches its parent: a worker killed with SIGKILL takes its pool processes
with it, and they their builds' process trees (builds.sandbox).

Every WHARF_BUILD_PRUNE_INTERVAL_HOURS beat's ``prune_build_stores`` asks every worker to prune
its layer stores (a broadcast, ``PRUNE_COMMAND``): the stores are on each worker's own disk, so
the one worker that happens to take the task could prune only its own host's.
"""

import logging
import os
import re
import shutil
import signal
import threading
import time
from pathlib import Path

from celery.signals import worker_process_init, worker_ready, worker_shutting_down
from celery.worker.control import control_command, ok
from django.db import close_old_connections, connection

log = logging.getLogger(__name__)
WORKSPACE_RE = re.compile(r"^build-(\d+)-")
LIVE_HEARTBEAT_SECONDS = 60
PRUNE_COMMAND = "wharf_prune_build_stores"
_pruning = threading.Lock()  # one prune at a time in this worker


def request_stop(hostname: str) -> int:
    """Ask every build running on ``hostname`` to stop; each ends ``cancelled``."""
    from builds.models import Build

    return Build.objects.filter(worker=hostname, status__in=Build.RUNNING).update(
        cancel_requested=True, cancel_reason="the worker stopped"
    )


@worker_shutting_down.connect
def _on_shutting_down(sender=None, **kwargs):
    # In the signal handler of the main process: the database work runs in a thread of its own,
    # with a connection of its own, never on one that may be in the middle of a query.
    def stop() -> None:
        try:
            count = request_stop(str(sender))
            if count:
                log.warning("worker stopping: asked %d running build(s) to stop", count)
        except Exception:  # the database is away: the reaper ends them later
            log.exception("worker stopping: could not ask running builds to stop")
        finally:
            connection.close()

    thread = threading.Thread(target=stop, name="wharf-stop-builds", daemon=True)
    thread.start()
    thread.join(timeout=10)


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(1)  # the worker is gone: so is this process, and its builds' trees with it
        time.sleep(0.5)


@worker_process_init.connect
def _die_with_worker(**kwargs):
    parent = os.getppid()
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def stale_workspaces(root: Path) -> list[Path]:
    """Scratch directories of builds that no live worker is running."""
    from django.utils import timezone

    from builds.models import Build

    work = root / "work"
    if not work.is_dir():
        return []
    found = {}
    for path in work.iterdir():
        match = WORKSPACE_RE.match(path.name)
        if match and path.is_dir() and not path.is_symlink():
            found.setdefault(int(match[1]), []).append(path)
    cutoff = timezone.now() - timezone.timedelta(seconds=LIVE_HEARTBEAT_SECONDS)
    live = set(
        Build.objects.filter(
            pk__in=found, status__in=Build.RUNNING, heartbeat_at__gte=cutoff
        ).values_list("pk", flat=True)
    )
    return [path for build_id, paths in found.items() if build_id not in live for path in paths]


def kill_orphans(root: Path) -> int:
    """Kill leftover build processes: those naming this workspace whose parent is gone (init
    adopted them). A live build's processes have their worker's process as an ancestor."""
    marker = str(root).encode()
    killed = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == 1 and marker in cmdline:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
            except OSError:
                pass
    return killed


def clean_up(hostname: str) -> None:
    """Start-up cleaning (see the module docstring); safe to run while other workers build."""
    from builds import reaper, sandbox, stores, tasks

    close_old_connections()
    lost = reaper.reap_worker_restarted(hostname=hostname)
    box = sandbox.current()
    killed = kill_orphans(box.root)
    removed = 0
    for path in stale_workspaces(box.root):
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    legacy = [p for p in box.root.glob("containers-*") if p.is_dir() and not p.is_symlink()] + [
        p for p in box.root.glob("share-*") if p.is_dir() and not p.is_symlink()
    ]
    for path in legacy:  # the store all repositories shared before they had their own
        shutil.rmtree(path, ignore_errors=True)
    result = stores.prune(box, live=tasks.live_rules)
    log.info(
        "builds start-up: %d lost build(s) ended, %d orphan process(es) killed, %d stale "
        "workspace(s) and %d shared store(s) removed; pruned %d store(s): %d image(s), "
        "%d container(s), %d deleted repositories' store(s)",
        lost,
        killed,
        removed,
        len(legacy),
        result.stores,
        result.images,
        result.containers,
        result.removed_stores,
    )


@worker_ready.connect
def _on_ready(sender=None, **kwargs):
    hostname = getattr(sender, "hostname", None) or "worker"

    def run() -> None:
        try:
            clean_up(hostname)
        except Exception:
            log.exception("builds start-up cleaning failed")
        finally:
            connection.close()

    threading.Thread(target=run, name="wharf-builds-cleanup", daemon=True).start()


def prune_here() -> bool:
    """Prune this worker's layer stores (builds.stores); False when a prune runs here already."""
    from builds import sandbox, stores, tasks

    if not _pruning.acquire(blocking=False):
        return False
    try:
        result = stores.prune(sandbox.current(), live=tasks.live_rules)
        log.info(
            "pruned %d build store(s): %d image(s), %d container(s) removed, %d deleted "
            "repositories' store(s) removed, %d busy",
            result.stores,
            result.images,
            result.containers,
            result.removed_stores,
            result.busy,
        )
        return True
    finally:
        _pruning.release()
        connection.close()


@control_command(name=PRUNE_COMMAND)
def _prune_requested(state):
    """Prune this worker's build stores (in a thread: the worker's main loop must not wait)."""

    def run() -> None:
        try:
            prune_here()
        except Exception:
            log.exception("pruning the build stores failed")

    threading.Thread(target=run, name="wharf-prune-stores", daemon=True).start()
    return ok("pruning")
