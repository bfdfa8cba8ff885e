"""The audit log's reads: whose events, narrowed how, newest first, in one query."""

import datetime

from django.utils import timezone

from audit.display import event_row
from audit.filters import EventFilter
from audit.models import Event
from audit.selectors import namespace_events, repository_events, site_events
from hub.services import repository_create, repository_delete
from tests.audit.conftest import as_user, push, record


def ids(events) -> list[int]:
    return [event.pk for event in events]


def test_a_namespaces_events_are_its_own_newest_first(alice, bob, app, site):
    first = push(app, "v1", alice)
    second = push(site, "v1", alice)
    third = record("token.created", actor=as_user(alice), namespace="alice")
    theirs = record("token.created", actor=as_user(bob), namespace="bob")

    listed = ids(namespace_events(namespace="alice"))

    assert listed[:3] == [third.pk, second.pk, first.pk]
    assert theirs.pk not in listed
    # What the services recorded while the test was set up is there too, older.
    assert set(listed[3:]) == set(
        Event.objects.filter(namespace="alice", action="repository.created").values_list(
            "pk", flat=True
        )
    )


def test_a_deleted_repositorys_events_stay_in_its_namespace_not_in_a_new_one(alice, app):
    old = push(app, "v1", alice)
    repository_delete(repository=app)
    again = repository_create(user=alice, namespace="alice", name="app")
    new = push(again, "v2", alice)

    assert {old.pk, new.pk} <= set(ids(namespace_events(namespace="alice")))
    assert old.pk not in ids(repository_events(repository=again))
    assert new.pk in ids(repository_events(repository=again))
    deleted = namespace_events(namespace="alice", filters=EventFilter(action="repository.deleted"))
    assert [e.repository_name for e in deleted] == ["alice/app"]


def test_filters_by_actor_action_family_and_repository(alice, bob, app, site):
    mine = push(app, "v1", alice)
    by_bob = push(site, "v1", bob)
    queued = record("build.queued", actor=as_user(alice), repository=app)
    failed = record("build.failed", actor=as_user(alice), repository=site)

    def listed(**filters):
        return set(ids(namespace_events(namespace="alice", filters=EventFilter(**filters))))

    assert listed(actor="bob") == {by_bob.pk}
    assert listed(action="push") == {mine.pk, by_bob.pk}
    assert listed(action="build.") == {queued.pk, failed.pk}
    assert listed(action="build.", repository="site") == {failed.pk}
    assert listed(actor="alice", action="push", repository="app") == {mine.pk}
    assert listed(actor="nobody") == set()


def test_since_and_until_bound_the_time(alice, app):
    now = timezone.now()
    old = push(app, "old", alice, minutes_ago=3 * 24 * 60)
    recent = push(app, "recent", alice, minutes_ago=60)

    since = now - datetime.timedelta(days=1)
    until = now - datetime.timedelta(days=2)
    in_window = repository_events(repository=app, filters=EventFilter(action="push", since=since))
    before = repository_events(repository=app, filters=EventFilter(action="push", until=until))

    assert ids(in_window) == [recent.pk]
    assert ids(before) == [old.pk]


def test_site_wide_a_repository_filter_takes_a_namespace_or_a_full_name(alice, bob, app, site):
    in_app = push(app, "v1", alice)
    in_site = push(site, "v1", alice)
    elsewhere = record("token.created", actor=as_user(bob), namespace="bob")

    everything = set(ids(site_events()))
    of_alice = set(ids(site_events(filters=EventFilter(repository="alice"))))
    of_app = ids(site_events(filters=EventFilter(repository="alice/app", action="push")))

    assert {in_app.pk, in_site.pk, elsewhere.pk} <= everything
    assert {in_app.pk, in_site.pk} <= of_alice and elsewhere.pk not in of_alice
    assert of_app == [in_app.pk]


def test_listing_and_showing_a_page_of_events_is_one_query(
    alice, app, site, django_assert_num_queries
):
    for i in range(5):
        push(app, f"v{i}", alice)
        record("token.revoked", actor=as_user(alice, token_name="ci"), namespace="alice")
    with django_assert_num_queries(1):
        rows = [event_row(e) for e in namespace_events(namespace="alice")[:50]]
    for i in range(20):
        push(site, f"w{i}", alice)
    with django_assert_num_queries(1):
        more = [event_row(e) for e in namespace_events(namespace="alice")[:50]]
    assert len(more) > len(rows) >= 10
    with django_assert_num_queries(1):
        list(repository_events(repository=app))
    with django_assert_num_queries(1):
        list(site_events(filters=EventFilter(action="push", repository="alice/app")))
