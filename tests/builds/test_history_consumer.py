"""The Builds tab's websocket: told when a build of the repository is queued or changes state."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from builds.consumers import CLOSE_NOT_FOUND
from builds.logs import publish_status
from builds.models import Build
from builds.services import build_create
from tests.builds.test_consumer import (  # noqa: F401  (channel_layer: autouse fixture)
    TIMEOUT,
    channel_layer,
    connect_to,
    make_build,
    receive_until_closed,
    session_cookie,
)
from tests.factories import UserFactory
from tests.hub.conftest import make_repo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alice():
    return UserFactory(username="alice")


def set_status(build: Build, status: str) -> None:
    Build.objects.filter(pk=build.pk).update(status=status)
    build.refresh_from_db()
    publish_status(build)


def test_the_tab_hears_of_its_repositorys_builds_only(alice, settings):
    settings.WHARF_BUILD_ALLOW_LOCAL_SOURCES = True
    vault = make_repo(alice, "vault", is_private=True)
    other = make_repo(alice, "other")
    running = make_build(vault, status=Build.Status.CLONING)
    elsewhere = make_build(other, status=Build.Status.CLONING)
    cookie = session_cookie(alice)

    async def scenario():
        ws = connect_to("/ws/r/alice/vault/builds/", cookie)
        assert (await ws.connect(TIMEOUT))[0]
        ready = await ws.receive_json_from(TIMEOUT)
        await database_sync_to_async(set_status)(elsewhere, "building")  # not this repository's
        await database_sync_to_async(set_status)(running, "building")
        changed = await ws.receive_json_from(TIMEOUT)
        queued = await database_sync_to_async(build_create)(
            repository=vault, source_url="file:///srv/app", source_ref="main"
        )
        created = await ws.receive_json_from(TIMEOUT)
        nothing_else = await ws.receive_nothing(0.3)
        await ws.disconnect(timeout=TIMEOUT)
        return ready, changed, created, queued, nothing_else

    ready, changed, created, queued, nothing_else = async_to_sync(scenario)()
    assert ready == {"type": "ready"}
    assert changed == {"type": "changed", "build": running.pk, "status": "building"}
    assert created == {"type": "changed", "build": queued.pk, "status": "queued"}
    assert nothing_else


@pytest.mark.parametrize("who", ["anonymous", "bob"])
def test_a_private_repositorys_tab_is_refused_to_others(alice, who):
    make_repo(alice, "vault", is_private=True)
    cookie = session_cookie(UserFactory(username="bob")) if who == "bob" else b""

    async def scenario(path):
        ws = connect_to(path, cookie)
        assert (await ws.connect(TIMEOUT))[0]
        return await receive_until_closed(ws)

    for path in ("/ws/r/alice/vault/builds/", "/ws/r/alice/missing/builds/"):
        assert async_to_sync(scenario)(path) == ([], CLOSE_NOT_FOUND)


def test_a_viewer_who_loses_access_hears_no_more(alice):
    web = make_repo(alice, "web")
    running = make_build(web, status=Build.Status.CLONING)
    cookie = session_cookie(UserFactory(username="bob"))

    def make_private_and_change():
        web.is_private = True
        web.save(update_fields=["is_private"])
        set_status(running, "building")

    async def scenario():
        ws = connect_to("/ws/r/alice/web/builds/", cookie)
        assert (await ws.connect(TIMEOUT))[0]
        assert await ws.receive_json_from(TIMEOUT) == {"type": "ready"}
        await database_sync_to_async(make_private_and_change)()
        return await receive_until_closed(ws)

    assert async_to_sync(scenario)() == ([], CLOSE_NOT_FOUND)


def test_a_quiet_socket_stays_open_past_the_redis_client_timeout(alice):
    """redis-py 8 gives up on a read after 5 s unless told otherwise; the channel layer's
    blocking wait for messages lasts 5 s too, so quiet sockets died every 5 s."""
    web = make_repo(alice, "web")
    running = make_build(web, status=Build.Status.CLONING)

    async def scenario():
        ws = connect_to("/ws/r/alice/web/builds/")
        assert (await ws.connect(TIMEOUT))[0]
        assert await ws.receive_json_from(TIMEOUT) == {"type": "ready"}
        quiet = await ws.receive_nothing(7)
        await database_sync_to_async(set_status)(running, "building")
        changed = await ws.receive_json_from(TIMEOUT)
        await ws.disconnect(timeout=TIMEOUT)
        return quiet, changed

    quiet, changed = async_to_sync(scenario)()
    assert quiet
    assert changed == {"type": "changed", "build": running.pk, "status": "building"}
