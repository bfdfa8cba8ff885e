"""One layer store per repository: a build sees its own repository's images and cache only.

buildah keeps images, intermediate images (the layer cache of ``--layers``) and working
containers in one store. Shared between repositories, a build could name another repository's
image in ``FROM`` and read it without any permission check, and its cached steps could be reused
by another repository's build of the same Dockerfile text (a ``RUN --mount=type=bind`` step is
cached on its text, not on the mounted files). So each repository has its own store, under
``<workspace>/repos/<repository id>/``, and its builds pull their bases into it anew each time.

A build holds its store's lock for its whole run, and so does a prune; one that finds it taken
does not wait (a build goes back to the queue for a few seconds, a prune skips the store). A prune
removes dead working containers (left by killed builds), the names of rules that no longer
exist, and then every image no name leads to — superseded results and the cache steps only they
used — keeping each repository's cache: the steps its current images are made of.
"""

import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from builds.sandbox import Sandbox

PRUNE_TIMEOUT = 600
CACHE_REPOSITORY = "localhost/wharf-cache"  # the local names that keep a rule's image


@dataclass(frozen=True)
class Store:
    path: Path

    @property
    def repository_id(self) -> int:
        return int(self.path.name)

    @property
    def storage(self) -> Path:
        return self.path / "containers" / "storage"

    @property
    def runroot(self) -> Path:
        return self.path / "containers" / "run"

    @property
    def share(self) -> Path:
        return self.path / "share"  # XDG_DATA_HOME of builds: the blob-info cache

    @property
    def lock_path(self) -> Path:
        return self.path / "lock"

    def buildah(self) -> list[str]:
        """buildah on this store (vfs: works on every host, no overlay or fuse needed)."""
        return [
            "buildah",
            "--root",
            str(self.storage),
            "--runroot",
            str(self.runroot),
            "--storage-driver",
            "vfs",
        ]


def cache_name(rule_id: int | None) -> str:
    """The local name a rule's builds keep their result under, so a prune keeps its steps."""
    return f"{CACHE_REPOSITORY}:{'rule-' + str(rule_id) if rule_id else 'one-off'}"


def store_for(sandbox: Sandbox, repository_id: int) -> Store:
    """The repository's store, made on first use: the worker's directory, the user's inside."""
    store = Store(sandbox.worker_dir(sandbox.root / "repos") / str(int(repository_id)))
    sandbox.worker_dir(store.path)
    for directory in (store.path / "containers", store.storage, store.runroot, store.share):
        sandbox._user_dir(directory)
    return store


class Busy(Exception):  # noqa: N818  (not an error: the store is in use, try later)
    pass


@contextmanager
def locked(store: Store, *, exclusive: bool = False, wait: bool = True):
    """Hold the store's lock: exclusive for a build or a prune (see builds.pipeline.run).

    The lock file is the worker's, in a directory of the worker's: the build user never opens
    it. ``wait=False`` raises Busy instead of waiting.
    """
    fd = os.open(store.lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(fd, mode if wait else mode | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy() from None
        yield
    finally:
        os.close(fd)


@dataclass
class PruneResult:
    stores: int = 0
    removed_stores: int = 0
    busy: int = 0
    images: int = 0
    containers: int = 0
    failed: list[str] | None = None


def _run(sandbox: Sandbox, store: Store, *args: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(store.share),
        "XDG_DATA_HOME": str(store.share),
        "XDG_RUNTIME_DIR": str(store.runroot),
    }
    return subprocess.run(
        sandbox.command([*store.buildah(), *args]),
        env=env,
        cwd=store.path,
        capture_output=True,
        text=True,
        timeout=PRUNE_TIMEOUT,
    )


def _lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.strip()]


def prune_store(sandbox: Sandbox, store: Store, *, rule_ids: set[int]) -> tuple[int, int]:
    """(containers, images) removed from one store; the caller holds its lock exclusively."""
    containers = _lines(_run(sandbox, store, "rm", "--all"))
    listed = _run(sandbox, store, "images", "--json")
    try:
        images = json.loads(listed.stdout or "[]") or []
    except ValueError:
        images = []
    for image in images:
        for name in image.get("names") or []:
            repository, _, tag = name.rpartition(":")
            if repository != CACHE_REPOSITORY or not tag.startswith("rule-"):
                continue
            rule = tag.removeprefix("rule-")
            if not rule.isdigit() or int(rule) not in rule_ids:
                _run(sandbox, store, "untag", image["id"], name)
    removed = 0
    for _ in range(20):  # each round frees the images the last one made leaves of
        gone = _lines(_run(sandbox, store, "rmi", "--prune"))
        removed += len(gone)
        if not gone:
            break
    return len(containers), removed


def prune(sandbox: Sandbox, *, live: Callable[[list[int]], dict[int, set[int]]]) -> PruneResult:
    """Prune every store of this workspace. ``live(ids)`` maps each of those repository ids that
    still exists to the ids of its rules; the stores of deleted repositories go whole."""
    result = PruneResult(failed=[])
    repos = sandbox.root / "repos"
    if not repos.is_dir():
        return result
    paths = [
        path
        for path in sorted(repos.iterdir())
        if path.name.isdigit() and not path.is_symlink() and path.is_dir()
    ]
    existing = live([int(path.name) for path in paths])
    for path in paths:
        store = Store(path)
        result.stores += 1
        try:
            with locked(store, exclusive=True, wait=False):
                if store.repository_id not in existing:
                    # Files of the build user's sub-ids inside; root removes them, no link followed.
                    shutil.rmtree(store.path / "containers", ignore_errors=True)
                    shutil.rmtree(store.share, ignore_errors=True)
                    result.removed_stores += 1
                    removed_whole = True
                else:
                    removed_whole = False
                    containers, images = prune_store(
                        sandbox, store, rule_ids=existing[store.repository_id]
                    )
                    result.containers += containers
                    result.images += images
            if removed_whole:
                shutil.rmtree(store.path, ignore_errors=True)
        except Busy:
            result.busy += 1
        except (OSError, subprocess.SubprocessError) as exc:
            result.failed.append(f"{path.name}: {exc}")
    return result
