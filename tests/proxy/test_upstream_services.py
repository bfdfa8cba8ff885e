"""Upstream registries through proxy.services and proxy.selectors: the proxy namespace, URL
rules, one mirror at most, the write-only password, events and logs without it, deleting with
the cache."""

import json
import logging

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from audit.models import Event
from hub import crypto
from hub.models import Namespace, Repository
from hub.permissions_admin import upstreams_administered
from hub.services import repository_create, repository_get_or_create
from orgs.errors import OrgError
from orgs.services import org_create
from proxy import selectors
from proxy.models import TagCheck, Upstream
from proxy.services import upstream_delete, upstream_update
from tests.factories import UserFactory
from tests.proxy.staff import (  # noqa: F401  (fixtures)
    PASSWORD,
    dockerhub_fixture,
    make_upstream,
    someone_fixture,
    staff_fixture,
)

pytestmark = pytest.mark.django_db


def _messages(error: ValidationError) -> dict:
    return error.value.message_dict


def test_an_upstream_gets_a_proxy_namespace_owned_by_no_one(dockerhub):
    namespace = Namespace.objects.get(name="dockerhub")

    assert (namespace.kind, namespace.owner_id, namespace.is_proxy) == ("proxy", None, True)
    assert dockerhub.namespace == namespace and namespace.upstream == dockerhub
    assert (dockerhub.tls_verify, dockerhub.is_mirror, dockerhub.pull_access) == (
        True,
        False,
        "signed_in",
    )


def test_the_password_is_stored_encrypted_and_read_back(dockerhub):
    stored = Upstream.objects.values_list("password_encrypted", flat=True).get()

    assert stored.startswith("fernet:") and PASSWORD not in stored
    assert Upstream.objects.get().password == PASSWORD
    assert dockerhub.has_password and dockerhub.password_readable


def test_a_password_stored_under_another_secret_key_is_unreadable(dockerhub, settings):
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    upstream = Upstream.objects.get()

    with pytest.raises(crypto.Unreadable):
        _ = upstream.password
    assert upstream.has_password and not upstream.password_readable


def test_no_credentials_means_an_empty_password(db):
    upstream = make_upstream(username="", password="")

    assert (upstream.password_encrypted, upstream.password, upstream.has_password) == (
        "",
        "",
        False,
    )


@pytest.mark.parametrize(
    "url, stored, host",
    [
        ("https://registry-1.docker.io", "https://registry-1.docker.io", "registry-1.docker.io"),
        ("HTTPS://Registry-1.Docker.IO/", "https://registry-1.docker.io", "registry-1.docker.io"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000", "127.0.0.1:5000"),
        ("http://localhost:80", "http://localhost:80", "localhost:80"),
        ("http://[::1]:5000/", "http://[::1]:5000", "[::1]:5000"),
    ],
)  # fmt: skip
def test_the_url_is_kept_as_scheme_and_host(db, url, stored, host):
    upstream = make_upstream(url=url)

    assert (upstream.url, upstream.host) == (stored, host)


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://mirror.example", "An upstream URL must start with https:// or http:// (not ftp:)."),
        ("registry-1.docker.io", "An upstream URL must start with https:// or http://."),
        ("https://bot:hunter2@registry.example", "Put no credentials in the URL"),
        ("https://registry.example/v2/", "without a path (not /v2/)"),
        ("https://registry.example/library", "without a path (not /library)"),
        ("https://registry.example?ns=docker.io", "The URL must have no ?query or #fragment."),
        ("https://registry.example/#top", "The URL must have no ?query or #fragment."),
        ("https://", "The URL needs a host"),
        ("https://registry.example:99999", "That is not a URL Wharf can read"),
        ("https://registry .example", "The URL must not contain spaces."),
        ("", "Give the registry's URL"),
        ("https://" + "a" * 250 + ".example", "Keep the URL to 255 characters."),
    ],
)  # fmt: skip
def test_a_bad_url_is_refused_with_a_message(db, url, message):
    with pytest.raises(ValidationError) as error:
        make_upstream(url=url)

    assert message in " ".join(_messages(error)["url"])
    assert not Upstream.objects.exists() and not Namespace.objects.filter(kind="proxy").exists()


@pytest.mark.parametrize("name", ["Docker", "-hub", "docker hub", "a" * 41, ""])
def test_a_bad_name_is_refused(db, name):
    with pytest.raises(ValidationError) as error:
        make_upstream(name=name, namespace="dockerhub")

    assert list(_messages(error)) == ["name"]


def test_the_namespace_is_the_name_unless_given(db):
    upstream = make_upstream(name="quay-io", namespace="quay")

    assert (upstream.name, upstream.namespace.name) == ("quay-io", "quay")


def test_a_name_that_is_no_namespace_name_asks_for_a_namespace(db):
    with pytest.raises(ValidationError) as error:
        make_upstream(name="quay-io")

    (message,) = _messages(error)["namespace"]
    assert "no spaces, dots or dashes" in message
    assert "The namespace is the upstream's name unless you give one." in message


def test_the_namespace_of_an_existing_user_is_refused(db):
    alice = UserFactory(username="alice")
    repository_create(user=alice, namespace="alice", name="app")

    with pytest.raises(ValidationError) as error:
        make_upstream(namespace="alice")

    assert _messages(error) == {"namespace": ["alice is a user's namespace; choose another."]}
    assert Namespace.objects.get(name="alice").kind == "user"


def test_the_name_of_a_user_without_repositories_is_refused_too(db):
    UserFactory(username="carol")

    with pytest.raises(ValidationError) as error:
        make_upstream(namespace="carol")

    assert _messages(error) == {"namespace": ["carol is a user's namespace; choose another."]}
    assert not Namespace.objects.filter(name="carol").exists()


def test_an_organization_name_is_refused(db):
    org_create(user=UserFactory(), name="acme")

    with pytest.raises(ValidationError) as error:
        make_upstream(namespace="acme")

    assert _messages(error) == {"namespace": ["acme is an organization; choose another namespace."]}


@pytest.mark.parametrize(
    "namespace, message",
    [
        ("library", "“library” is reserved; please choose another name."),
        ("admin", "“admin” is reserved; please choose another name."),
        ("hub", "Namespace names are 4 to 30 characters long; this one has 3."),
        ("Docker", "Use lowercase letters only (a–z) and digits; no capitals."),
    ],
)
def test_namespace_names_follow_the_organization_rules(db, namespace, message):
    with pytest.raises(ValidationError) as error:
        make_upstream(namespace=namespace)

    assert _messages(error) == {"namespace": [message]}


def test_two_upstreams_cannot_share_a_name_or_a_namespace(dockerhub):
    with pytest.raises(ValidationError) as same_name:
        make_upstream(namespace="dockerhub2")
    with pytest.raises(ValidationError) as same_namespace:
        make_upstream(name="hub2", namespace="dockerhub")

    assert _messages(same_name) == {"name": ["There is an upstream named dockerhub already."]}
    assert _messages(same_namespace) == {
        "namespace": ["dockerhub is already the namespace of another upstream."]
    }


def test_people_and_organizations_cannot_take_a_proxy_namespace(dockerhub):
    with pytest.raises(OrgError, match="That name is taken."):
        org_create(user=UserFactory(), name="dockerhub")


def test_making_one_the_mirror_takes_it_from_the_other(db):
    first = make_upstream(is_mirror=True)
    second = make_upstream(name="quay", url="https://quay.io", is_mirror=True)

    assert list(Upstream.objects.filter(is_mirror=True)) == [second]
    assert selectors.mirror_upstream() == second
    upstream_update(upstream=Upstream.objects.get(pk=first.pk), is_mirror=True)
    assert selectors.mirror_upstream() == first
    handed_over = Event.objects.filter(action="upstream.updated", namespace="quay").get()
    assert handed_over.data == {"name": "quay", "changed": ["is_mirror"], "is_mirror": False}


def test_the_database_holds_one_mirror_at_most(db):
    make_upstream(is_mirror=True)
    other = make_upstream(name="quay", url="https://quay.io")

    with pytest.raises(IntegrityError), transaction.atomic():
        Upstream.objects.filter(pk=other.pk).update(is_mirror=True)


def test_an_empty_password_on_update_keeps_it_and_an_empty_string_removes_it(dockerhub):
    upstream_update(upstream=dockerhub, password=None, username="wharfbot2")
    assert Upstream.objects.get().password == PASSWORD

    upstream_update(upstream=dockerhub, password="new-" + PASSWORD)
    assert Upstream.objects.get().password == "new-" + PASSWORD

    upstream_update(upstream=dockerhub, password="")
    assert Upstream.objects.get().password_encrypted == ""


def test_the_namespace_cannot_change(dockerhub):
    upstream_update(upstream=dockerhub, namespace="dockerhub", tls_verify=False)  # as it is

    with pytest.raises(ValidationError) as error:
        upstream_update(upstream=dockerhub, namespace="elsewhere")

    assert "The proxy namespace cannot change" in _messages(error)["namespace"][0]
    assert Upstream.objects.get().namespace.name == "dockerhub"


def test_an_update_is_checked_as_a_create_is(dockerhub):
    make_upstream(name="quay", namespace="quayio", url="https://quay.io")

    with pytest.raises(ValidationError) as error:
        upstream_update(upstream=dockerhub, url="https://x.example/v2", name="quay")

    assert set(_messages(error)) == {"url"}  # the shape first, then whether the name is free
    with pytest.raises(ValidationError) as error:
        upstream_update(upstream=dockerhub, name="quay")
    assert _messages(error) == {"name": ["There is an upstream named quay already."]}
    with pytest.raises(ValidationError) as error:
        upstream_update(upstream=dockerhub, pull_access="everyone")
    assert _messages(error) == {"pull_access": ["Choose “public” or “signed_in”."]}


def test_events_say_what_changed_and_never_the_password(staff):
    upstream = make_upstream(by=staff)
    upstream_update(upstream=upstream, password="rotated-" + PASSWORD, pull_access="public")
    upstream_update(upstream=upstream, password="")
    upstream_delete(upstream=upstream)

    events = list(Event.objects.filter(action__startswith="upstream.").order_by("id"))
    assert [event.action for event in events] == [
        "upstream.created",
        "upstream.updated",
        "upstream.updated",
        "upstream.deleted",
    ]
    assert events[0].data == {
        "name": "dockerhub",
        "url": "https://registry-1.docker.io",
        "username": "wharfbot",
        "namespace": "dockerhub",
        "tls_verify": True,
        "is_mirror": False,
        "pull_access": "signed_in",
        "has_password": True,
    }
    assert (events[0].actor_name, events[0].namespace) == ("admin1", "dockerhub")
    assert events[1].data == {
        "name": "dockerhub",
        "changed": ["password", "pull_access"],
        "pull_access": "public",
        "has_password": True,
    }
    assert events[2].data["has_password"] is False
    every = json.dumps([event.data for event in Event.objects.all()])
    assert PASSWORD not in every and "fernet:" not in every


def test_logs_never_hold_the_password(staff, caplog):
    with caplog.at_level(logging.DEBUG):
        upstream = make_upstream(by=staff)
        upstream_update(upstream=upstream, password="rotated-" + PASSWORD, username="other")
        upstream_delete(upstream=upstream)

    assert "upstream dockerhub added: https://registry-1.docker.io as dockerhub/" in caplog.text
    assert "upstream dockerhub changed: password, username" in caplog.text
    assert PASSWORD not in caplog.text and "fernet:" not in caplog.text


def test_deleting_an_upstream_removes_its_namespace_and_cached_repositories(dockerhub, staff):
    nginx = repository_get_or_create(namespace="dockerhub", name="library/nginx")
    repository_get_or_create(namespace="dockerhub", name="grafana/grafana")
    TagCheck.objects.create(repository=nginx, name="1.27")
    mine = repository_create(user=staff, namespace=staff.username, name="nginx")

    count = upstream_delete(upstream=dockerhub)

    assert count == 2
    assert not Upstream.objects.exists() and not TagCheck.objects.exists()
    assert not Namespace.objects.filter(name="dockerhub").exists()
    assert list(Repository.objects.all()) == [mine]
    deleted = Event.objects.filter(action="repository.deleted").values_list(
        "repository_name", flat=True
    )
    assert sorted(deleted) == ["dockerhub/grafana/grafana", "dockerhub/library/nginx"]
    gone = Event.objects.get(action="upstream.deleted")
    assert gone.data == {"name": "dockerhub", "url": dockerhub.url, "repositories": 2}


def test_the_namespace_can_be_reused_once_its_upstream_is_gone(dockerhub):
    upstream_delete(upstream=dockerhub)

    again = make_upstream()

    assert again.namespace.name == "dockerhub" and again.namespace.is_proxy


def test_the_registry_finds_an_upstream_by_namespace_in_one_query(
    dockerhub, django_assert_num_queries
):
    with django_assert_num_queries(1):
        found = selectors.upstream_for_namespace("dockerhub")
        assert (found, found.namespace.name) == (dockerhub, "dockerhub")
    with django_assert_num_queries(1):
        assert selectors.upstream_for_namespace("alice") is None
    with django_assert_num_queries(1):
        assert selectors.mirror_upstream() is None


def test_the_list_counts_cached_repositories_in_its_one_query(dockerhub, django_assert_num_queries):
    repository_get_or_create(namespace="dockerhub", name="library/nginx")
    make_upstream(name="quay", url="https://quay.io")

    with django_assert_num_queries(1):
        listed = [
            (u.name, u.namespace.name, u.repository_count)
            for u in selectors.upstreams_list(with_counts=True)
        ]

    assert listed == [("dockerhub", "dockerhub", 1), ("quay", "quay", 0)]


def test_only_staff_administer_upstreams(staff, someone):
    assert upstreams_administered(staff)
    assert not upstreams_administered(someone)
    assert not upstreams_administered(None)


def test_a_rename_is_recorded_with_the_name_it_had(dockerhub):
    upstream_update(upstream=dockerhub, name="docker-hub")

    event = Event.objects.get(action="upstream.updated")
    assert event.data == {"name": "docker-hub", "changed": ["name"], "previous_name": "dockerhub"}
    assert selectors.upstream_get("docker-hub") == dockerhub
