"""Per-repository layer stores stay bounded: a prune removes superseded images, dead working
containers and deleted repositories' stores, keeps each rule's cache, and never touches a store
a build is using (builds/stores.py). Real buildah."""

import json
import subprocess

import pytest

from builds import sandbox, services, stores
from builds.tasks import live_rules
from hub.registry import busybox
from hub.services import repository_get_or_create
from tests.builds.support import git, log_text, make_git_repo, wait_final
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not busybox.BUSYBOX.exists(), reason="needs Debian's busybox-static"),
]


def buildah(store: stores.Store, *args: str) -> subprocess.CompletedProcess:
    box = sandbox.current()
    return subprocess.run(
        box.command([*store.buildah(), *args]),
        env={"PATH": "/usr/bin:/bin", "HOME": str(store.share)},
        cwd=store.path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def image_ids(store: stores.Store) -> set[str]:
    listed = buildah(store, "images", "--all", "--json")
    return {image["id"] for image in json.loads(listed.stdout or "[]") or []}


def test_a_prune_frees_superseded_images_and_keeps_the_cache(hub, repo, sources):
    services.settings_source_update(repository=repo, source_url=f"file://{sources / 'src'}")
    rule = services.rule_create(repository=repo)
    source = make_git_repo(
        sources / "src",
        {"Dockerfile": "FROM busybox\nCOPY v.txt /v.txt\nRUN cat /v.txt\n", "v.txt": "1\n"},
    )

    def build():
        made = services.builds_for_ref(repository=repo, source_type="branch", ref="main")[0]
        made = wait_final(made)
        assert made.status == "success", log_text(made)
        return made

    build()
    for version in ("2", "3"):  # each build supersedes the last one's COPY and RUN steps
        (source / "v.txt").write_text(f"{version}\n")
        git("commit", "-qam", version, cwd=source)
        build()
    store = stores.store_for(sandbox.current(), repo.pk)
    before = image_ids(store)
    buildah(store, "from", "--name", "left-by-a-killed-build", stores.cache_name(rule.pk))

    result = stores.prune(sandbox.current(), live=live_rules)

    after = image_ids(store)
    assert result.images >= 4 and result.containers == 1, result
    assert after < before
    assert not buildah(store, "containers", "--all", "--quiet").stdout.strip()
    # What the rule's next build is made of stays: it builds from the cache.
    again = build()
    assert log_text(again).count("Using cache") == 2, log_text(again)


def test_deleted_repositories_lose_their_store_and_busy_stores_are_skipped(hub, repo):
    box = sandbox.current()
    owner = UserFactory(username="gone")
    gone = repository_get_or_create(namespace="gone", name="app", user=owner)
    gone_store = stores.store_for(box, gone.pk)
    busy = stores.store_for(box, repo.pk)
    gone.delete()

    with stores.locked(busy, exclusive=True):  # a build of repo is running
        result = stores.prune(box, live=live_rules)

    assert not gone_store.path.exists()
    assert result.removed_stores == 1 and result.busy == 1
    assert busy.path.exists()
