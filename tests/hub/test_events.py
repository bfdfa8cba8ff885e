"""hub.events: the services record what happened and who did it, through every door a caller
comes in by (registry fast path and Django, Basic and bearer, pages and API, the worker)."""

import pytest
from django.db import transaction

from audit.models import Event
from builds.services import build_cancel, build_create
from hub import events, pulls
from hub.events import EventActor, acting, event_record
from hub.pulls import pull_counts_flush
from hub.redisconn import get_redis
from hub.registry.fastpath import app
from hub.services import repository_create, repository_update, tag_create
from orgs.services import collaborator_set
from tests.factories import PASSWORD, UserFactory, make_token
from tests.registry.conftest import (
    basic,
    registry,  # noqa: F401  (a fixture)
)
from tests.registry.test_http import push_image

pytestmark = pytest.mark.integration


@pytest.fixture
def pushed(registry, transactional_db):  # noqa: F811
    """alice pushed alice/app:v1 with her access token "laptop"."""
    alice = UserFactory(username="alice")
    _, raw = make_token(alice, scope="read_write_delete", description="laptop")
    http = registry.http
    auth = basic("alice", raw)
    headers = http.bearer("repository:alice/app:pull,push,delete", auth=auth)
    descriptor, _, _ = push_image(http, "alice/app", "v1", headers)
    app.clear()
    return http, alice, auth, headers, descriptor


def test_a_push_records_the_repository_and_one_event_per_tag_by_the_token(pushed):
    _, alice, _, _, descriptor = pushed
    created, push = Event.objects.filter(repository_name="alice/app").order_by("id")
    assert created.action == "repository.created"
    assert push.action == "push"
    assert (push.tag, push.digest) == ("v1", descriptor["digest"])
    assert (push.actor, push.actor_kind, push.token_name) == (alice, "token", "laptop")
    assert push.ip == "127.0.0.1"
    assert push.namespace == "alice"
    assert push.data == {
        "media_type": "application/vnd.oci.image.manifest.v1+json",
        "platforms": ["linux/amd64"],
    }


def test_pulls_wait_in_redis_and_land_in_the_log_with_who_pulled(pushed):
    http, alice, auth, _, descriptor = pushed
    bearer = http.bearer("repository:alice/app:pull", auth=auth)
    served = app.stats["served"]
    http.request("GET", "/v2/alice/app/manifests/v1", headers=bearer)  # the fast path
    http.request("GET", f"/v2/alice/app/manifests/{descriptor['digest']}", headers=bearer)
    assert app.stats["served"] > served
    http.request("GET", "/v2/alice/app/manifests/v1", headers={"Authorization": auth})  # Django
    anonymous = http.bearer("repository:alice/app:pull")
    http.request("GET", "/v2/alice/app/manifests/v1", headers=anonymous)
    http.request("HEAD", "/v2/alice/app/manifests/v1", headers=anonymous)  # not a pull

    assert not Event.objects.filter(action="pull").exists()  # batched, not written per pull
    assert get_redis().xlen(pulls.stream_key()) == 4
    pull_counts_flush()
    assert get_redis().xlen(pulls.stream_key()) == 0
    rows = list(Event.objects.filter(action="pull").order_by("occurred_at", "id"))
    assert [(p.actor_kind, p.actor, p.token_name) for p in rows] == [
        ("token", alice, "laptop"),
        ("token", alice, "laptop"),
        ("token", alice, "laptop"),
        ("anonymous", None, ""),
    ]
    assert [(p.tag, p.digest) for p in rows[:2]] == [("v1", ""), ("", descriptor["digest"])]
    assert {p.ip for p in rows} == {"127.0.0.1"}
    assert {p.repository_name for p in rows} == {"alice/app"}
    pull_counts_flush()  # nothing twice
    assert Event.objects.filter(action="pull").count() == 4


def test_pulls_of_a_repository_deleted_before_the_flush_are_dropped(pushed):
    http, _, auth, _, _ = pushed
    http.request("GET", "/v2/alice/app/manifests/v1", headers={"Authorization": auth})
    from hub.models import Repository
    from hub.services import repository_delete

    repository_delete(repository=Repository.objects.get(name="app"))
    pull_counts_flush()
    assert not Event.objects.filter(action="pull").exists()
    assert get_redis().xlen(pulls.stream_key()) == 0
    deleted = Event.objects.get(action="repository.deleted")
    assert deleted.repository is None and deleted.repository_name == "alice/app"


def test_deletes_through_the_registry_say_what_went(pushed):
    http, alice, _, headers, descriptor = pushed
    status, _, _ = http.request("DELETE", "/v2/alice/app/manifests/v1", headers=headers)
    assert status == 202
    tag = Event.objects.get(action="delete")
    assert (tag.tag, tag.digest, tag.data) == ("v1", descriptor["digest"], {"kind": "tag"})
    assert (tag.actor, tag.token_name) == (alice, "laptop")


def test_a_wrong_password_is_logged_for_the_account_it_named(registry, transactional_db):  # noqa: F811
    UserFactory(username="bob")
    status, _, _ = registry.http.request(
        "GET", "/token?service=wharf", headers={"Authorization": basic("bob", "not-" + PASSWORD)}
    )
    assert status == 401
    failed = Event.objects.get(action="login.failed")
    assert (failed.namespace, failed.actor_kind, failed.actor) == ("bob", "anonymous", None)
    assert failed.ip == "127.0.0.1"
    assert failed.data == {"login": "bob"}


def test_page_and_api_changes_are_by_the_signed_in_user(client, db):
    carol = UserFactory(username="carol")
    _, raw = make_token(carol, scope="read_write_delete", description="deploy")
    repo = repository_create(user=carol, namespace="carol", name="site")
    response = client.patch(
        "/api/v2/repositories/carol/site/",
        {"is_private": True},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 200, response.content
    changed = Event.objects.get(action="repository.visibility")
    assert changed.repository == repo and changed.data == {"is_private": True}
    assert (changed.actor, changed.actor_kind, changed.token_name) == (carol, "token", "deploy")


def test_an_event_rolls_back_with_the_change_that_failed(db):
    dave = UserFactory(username="dave")
    repo = repository_create(user=dave, namespace="dave", name="app")
    with pytest.raises(RuntimeError), transaction.atomic():
        repository_update(repository=repo, is_private=True)
        raise RuntimeError("the rest of the request failed")
    assert not Event.objects.filter(action="repository.visibility").exists()


def test_work_done_outside_a_request_is_by_whoever_the_caller_says(db):
    erin = UserFactory(username="erin")
    repo = repository_create(user=erin, namespace="erin", name="app")
    with acting(EventActor(user=erin, kind="user", name="erin", ip="10.0.0.9")):
        collaborator_set(repository=repo, username=UserFactory(username="finn").username,
                         permission="write")  # fmt: skip
    grant = Event.objects.get(action="permission.changed")
    assert (grant.actor, grant.ip, grant.repository) == (erin, "10.0.0.9", repo)
    assert grant.data == {"change": "collaborator", "subject": "finn", "level": "write"}
    # Nobody said: the worker's own doing.
    repository_update(repository=repo, is_private=True)
    system = Event.objects.get(action="repository.visibility")
    assert (system.actor_kind, system.actor_name) == ("system", "wharf")


def test_a_build_records_queued_then_its_end(db, settings):
    settings.WHARF_BUILD_ALLOW_LOCAL_SOURCES = True
    gina = UserFactory(username="gina")
    repo = repository_create(user=gina, namespace="gina", name="app")
    with acting(events.actor_for(gina)), transaction.atomic():
        build = build_create(
            repository=repo, user=gina, source_url="file:///srv/none.git", source_ref="main"
        )
    build_cancel(build=build)  # still queued: it never starts
    queued, cancelled = Event.objects.filter(action__startswith="build.").order_by("id")
    assert (queued.action, queued.actor, queued.data["build_id"]) == (
        "build.queued",
        gina,
        build.pk,
    )
    assert (cancelled.action, cancelled.actor, cancelled.data["status"]) == (
        "build.cancelled",
        gina,
        "cancelled",
    )
    assert queued.data["tags"] == ["latest"] and queued.data["source_ref"] == "main"


def test_a_retag_is_a_push_of_that_tag(db):
    hana = UserFactory(username="hana")
    repo = repository_create(user=hana, namespace="hana", name="app")
    with pytest.raises(Exception, match="No tag or digest"):
        tag_create(repository=repo, name="v2", source="v1")
    assert not Event.objects.filter(action="push").exists()


def test_an_unknown_action_is_a_programming_error(db):
    with pytest.raises(ValueError, match="unknown event action"):
        event_record(action="pushed")
