"""The people and repositories the audit log tests share, and events recorded the way the
services record them (``hub.events.event_record``).

alice owns alice/app (private) and alice/site (public); bob is another user; acme is alice's
organization with erin an editor and bob a plain member, and the private acme/api in it;
harbourmaster is staff.
"""

import datetime
import itertools

import pytest
from django.utils import timezone

from hub.events import EventActor, event_record
from hub.services import repository_create
from orgs import services as orgs
from tests.factories import UserFactory

_seq = itertools.count()
# Accounts and organizations made long before the events the tests backdate: a namespace's log
# starts when its present holder took the name.
LONG_AGO = timezone.now() - datetime.timedelta(days=400)


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db, fast_passwords):
    return UserFactory(username="alice", date_joined=LONG_AGO)


@pytest.fixture
def bob(db, fast_passwords):
    return UserFactory(username="bob", date_joined=LONG_AGO)


@pytest.fixture
def erin(db, fast_passwords):
    return UserFactory(username="erin", date_joined=LONG_AGO)


@pytest.fixture
def staff(db, fast_passwords):
    return UserFactory(username="harbourmaster", is_staff=True, date_joined=LONG_AGO)


@pytest.fixture
def app(alice):
    return repository_create(user=alice, namespace="alice", name="app", is_private=True)


@pytest.fixture
def site(alice):
    return repository_create(user=alice, namespace="alice", name="site")


@pytest.fixture
def acme(alice, bob, erin):
    org = orgs.org_create(user=alice, name="acme", full_name="Acme Corp.")
    type(org).objects.filter(pk=org.pk).update(created_at=LONG_AGO)
    org.created_at = LONG_AGO
    orgs.member_add(org=org, username="bob", role="member")
    orgs.member_add(org=org, username="erin", role="editor")
    return org


@pytest.fixture
def api_repo(acme, alice):
    return repository_create(user=alice, namespace="acme", name="api", is_private=True)


def as_user(user, *, ip="203.0.113.7", token_name="", kind=None) -> EventActor:
    """What the middleware sees for ``user`` (with a token's name: a token's request)."""
    if kind is None:
        kind = "token" if token_name else "user"
    return EventActor(user=user, kind=kind, name=user.username, token_name=token_name, ip=ip)


def record(action: str, *, actor=None, minutes_ago: float | None = None, **fields):
    """One event through the real recorder; ``minutes_ago`` backdates it (the recorder stamps
    now, as services do; the row is then moved back in time)."""
    event = event_record(action=action, actor=actor or EventActor.system(), **fields)
    if minutes_ago is not None:
        event.occurred_at = timezone.now() - datetime.timedelta(minutes=minutes_ago)
        event.save(update_fields=["occurred_at"])
    return event


def push(repository, tag: str, user, **kwargs):
    return record(
        "push",
        actor=as_user(user),
        repository=repository,
        tag=tag,
        digest="sha256:" + f"{next(_seq):064x}",
        data={
            "media_type": "application/vnd.oci.image.manifest.v1+json",
            "platforms": ["linux/amd64"],
        },
        **kwargs,
    )
