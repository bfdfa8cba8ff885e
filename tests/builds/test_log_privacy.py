"""Full command lines over the build log websocket: only for those who may push (issue 9,
finding 13), replayed and live alike."""

import threading

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.db import connection

from builds.logs import LogWriter
from builds.models import Build
from tests.builds.test_consumer import (  # noqa: F401  (channel_layer: the fixture, autouse)
    TIMEOUT,
    channel_layer,
    finish,
    make_build,
    receive_until_closed,
    session_cookie,
    socket,
)
from tests.factories import UserFactory
from tests.hub.conftest import make_repo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alice():
    return UserFactory(username="alice")


def _write_public_and_private(build: Build, first: int) -> None:
    writer = LogWriter(Build.objects.get(pk=build.pk))
    writer.line(f"public {first}")
    writer.line(f"$ buildah --root /var/lib/wharf/builds-x bud  # {first + 1}", private=True)
    writer.line(f"public {first + 2}")
    writer.flush()


def test_full_command_lines_reach_only_those_who_may_push(alice):
    """Finding 13 over the websocket: replayed and live, a viewer who may not push gets the
    public lines only; the owner gets all of them."""
    build = make_build(make_repo(alice, "web"), status="building")
    _write_public_and_private(build, 1)  # stored before: replayed

    def live():
        try:
            _write_public_and_private(build, 4)
            finish(build)
        finally:
            connection.close()

    async def watch(cookie: bytes) -> list[str]:
        ws = socket(build.pk, cookie=cookie)
        assert (await ws.connect(TIMEOUT))[0]
        texts = []
        assert (await ws.receive_json_from(TIMEOUT))["type"] == "status"
        while len([t for t in texts if t.startswith("public")]) < 2:
            message = await ws.receive_json_from(TIMEOUT)
            texts += [line["text"] for line in message.get("lines", [])]
        writer = threading.Thread(target=live)
        writer.start()
        messages, code = await receive_until_closed(ws)
        await database_sync_to_async(writer.join)()
        texts += [line["text"] for m in messages for line in m.get("lines", [])]
        return texts

    others = async_to_sync(watch)(session_cookie(UserFactory(username="bob")))
    assert others == ["public 1", "public 3", "public 4", "public 6"]
    Build.objects.filter(pk=build.pk).update(status="building")  # watch it again, as its owner
    owner = async_to_sync(watch)(session_cookie(alice))
    assert [t.split("# ")[-1] if "#" in t else t for t in owner][:3] == [
        "public 1",
        "2",
        "public 3",
    ]
