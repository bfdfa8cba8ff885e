"""A small hub with something on every page, and the pages tests/browser/test_look.py visits.

One dataset for every look test: users, an organization with a team and a robot, repositories
with real tags (one multi-arch), a successful and a failed build with logs, a token, webhooks and
the activity all of that leaves behind.
"""

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.db import connection
from django.utils import timezone

from builds.logs import LogWriter
from builds.models import Build
from builds.services import build_settings_for, rule_create, settings_source_update
from hub.models import Repository
from hub.services import repository_create, star_add
from orgs.robots import robot_create
from orgs.services import member_add, org_create, team_create, team_member_add, team_permission_set
from proxy.services import upstream_create
from tests.factories import UserFactory, make_token
from tests.hub.conftest import push_image, push_multi_arch
from webhooks.services import webhook_create

GIT = "https://git.example/alice/app.git"
AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"

README = """# app

The app, built from git on every push to `main`.

## Run it

```
docker run -p 8080:8080 alice/app:v1
```

| Tag | What |
| --- | --- |
| `v1` | the first release |
| `multi` | linux/amd64 and linux/arm64 |

> Pull by digest in production.
"""


@dataclass
class Site:
    alice: object  # staff: sees the site's activity too
    bob: object
    ids: dict = field(default_factory=dict)


def _build(repo, *, status, lines, **fields) -> Build:
    now = timezone.now()
    build = Build.objects.create(
        repository=repo,
        source_url=GIT,
        source_ref="main",
        commit_sha="0123456789abcdef0123456789abcdef01234567",
        status=status,
        started_at=now - timedelta(minutes=3),
        finished_at=now - timedelta(minutes=1),
        **fields,
    )
    writer = LogWriter(build)
    for text in lines:
        writer.line(text)
    writer.flush()
    return build


def seed() -> Site:
    """Make the site in a thread of its own: the browser's event loop runs in the test's thread,
    and log lines are published with async_to_sync, which refuses to run beside one."""
    made = {}

    def work():
        try:
            made["site"] = _seed()
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=60)
    return made["site"]


def _seed() -> Site:
    alice = UserFactory(username="alice", is_staff=True)
    bob = UserFactory(username="bob")
    push_image("alice/app:v1")
    push_multi_arch("alice/app:multi")
    push_image("alice/app-legacy:old")
    Repository.objects.filter(name="app").update(
        description="The app, built from git", full_description=README, pull_count=1234
    )
    Repository.objects.filter(name="app-legacy").update(description="The old app")
    app = Repository.objects.get(namespace__name="alice", name="app")
    repository_create(user=bob, namespace="bob", name="tools", description="Bob's toolbox")
    star_add(user=alice, repository=Repository.objects.get(name="tools"))
    star_add(user=bob, repository=app)

    acme = org_create(user=alice, name="acme", full_name="Acme Corp")
    member_add(org=acme, username="bob")
    team = team_create(org=acme, name="developers", description="Everyone who ships")
    team_member_add(team=team, username="bob")
    api = repository_create(
        user=alice, namespace="acme", name="api", description="Acme's API", is_private=True
    )
    team_permission_set(repository=api, team=team, permission="write")
    robot_create(
        namespace=acme, name="ci", created_by=alice, repositories=["api"], actions=["pull", "push"]
    )

    build_settings_for(repository=app)
    settings_source_update(repository=app, source_url=GIT, by=alice)
    rule = rule_create(repository=app, source_type="branch", source="main", docker_tag="v1")
    digest = app.tags.get(name="v1").manifest.digest
    done = _build(
        app,
        status=Build.Status.SUCCESS,
        tags=["v1"],
        digest=digest,
        step=3,
        steps=3,
        lines=["Cloning https://git.example/alice/app.git", "STEP 1/3: FROM alpine", "Pushed v1"],
    )
    failed = _build(
        app,
        status=Build.Status.FAILED,
        tags=["v1"],
        error="STEP 2/3: RUN make: exit status 2",
        lines=["Cloning https://git.example/alice/app.git", "make: *** [all] Error 2"],
    )
    make_token(alice, description="laptop")
    hook = webhook_create(
        repository=app, name="ci", url="https://ci.example.test/hook", events=["push"], by=alice
    )
    webhook_create(
        namespace=app.namespace,
        name="chat",
        url="https://chat.example.test/hook",
        events=["push"],
        by=alice,
    )
    upstream_create(
        name="dockerhub",
        url="https://registry-1.docker.io",
        username="wharfbot",
        password="dckr_pat_look",
        is_mirror=True,
    )
    return Site(
        alice=alice,
        bob=bob,
        ids={"build": done.pk, "failed": failed.pk, "rule": rule.pk, "hook": hook.pk},
    )


def anonymous_pages(site: Site) -> list[tuple[str, str]]:
    """(name, path) of what anyone sees."""
    ids = site.ids
    return [
        ("home", "/"),
        ("explore", "/explore/"),
        ("search", "/search/?q=app"),
        ("sign-up", "/signup/"),
        ("sign-in", "/login/"),
        ("password-reset", "/password/reset/"),
        ("profile", "/u/alice/"),
        ("repository", "/r/alice/app/"),
        ("tags", "/r/alice/app/tags/"),
        ("tag", "/r/alice/app/tags/v1/"),
        ("tag-multi-arch", "/r/alice/app/tags/multi/"),
        ("builds", "/r/alice/app/builds/"),
        ("build", f"/r/alice/app/builds/{ids['build']}/"),
        ("build-failed", f"/r/alice/app/builds/{ids['failed']}/"),
        ("not-found", "/r/alice/nothing-here/"),
    ]


def signed_in_pages(site: Site) -> list[tuple[str, str]]:
    """(name, path) of what alice, owner of alice/* and of acme, sees."""
    ids = site.ids
    return [
        ("home-signed-in", "/"),
        ("profile-own", "/u/alice/"),
        ("repository-owner", "/r/alice/app/"),
        ("tags-owner", "/r/alice/app/tags/"),
        ("builds-owner", "/r/alice/app/builds/"),
        ("build-rule", f"/r/alice/app/builds/rules/{ids['rule']}/"),
        ("settings", "/r/alice/app/settings/"),
        ("repository-activity", "/r/alice/app/settings/activity/"),
        ("repository-webhooks", "/r/alice/app/settings/webhooks/"),
        ("webhook", f"/r/alice/app/settings/webhooks/{ids['hook']}/"),
        ("new-repository", "/repositories/new/"),
        ("tokens", "/settings/tokens/"),
        ("change-password", "/settings/password/"),
        ("activity", "/u/alice/-/activity/"),
        ("webhooks", "/u/alice/-/webhooks/"),
        ("site-activity", "/-/activity/"),
        ("upstreams", "/-/upstreams/"),
        ("upstream", "/-/upstreams/dockerhub/"),
        ("org", "/orgs/acme/"),
        ("org-members", "/orgs/acme/members/"),
        ("org-teams", "/orgs/acme/teams/"),
        ("org-team", "/orgs/acme/teams/developers/"),
        ("org-robots", "/orgs/acme/robots/"),
        ("org-settings", "/orgs/acme/settings/"),
        ("org-new", "/orgs/new/"),
        ("permissions", "/r/acme/api/settings/permissions/"),
        ("api-docs", "/api/docs/"),
    ]
