"""The build log websocket against the real ASGI app and a real Redis channel layer."""

import json
import threading
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from builds import consumers
from builds.consumers import CLOSE_FINISHED, CLOSE_NOT_FOUND
from builds.logs import LogWriter, group_name, publish_status
from builds.models import Build, BuildLogLine
from tests.factories import UserFactory
from tests.hub.conftest import make_repo

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 5


@pytest.fixture(autouse=True)
def channel_layer(settings):
    """A Redis channel layer of this test's own: other runs' builds share ids, not groups."""
    layers = {**django_settings.CHANNEL_LAYERS["default"]}
    layers["CONFIG"] = {**layers["CONFIG"], "prefix": f"wharf-test:{uuid.uuid4().hex[:12]}"}
    settings.CHANNEL_LAYERS = {"default": layers}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert "RedisChannelLayer" in layers["BACKEND"]


@pytest.fixture
def alice():
    return UserFactory(username="alice")


def make_build(repository, **fields) -> Build:
    fields = {"source_url": "https://git.example/app.git", "source_ref": "main", **fields}
    return Build.objects.create(repository=repository, **fields)


def write_lines(build: Build, count: int, prefix: str = "line") -> None:
    writer = LogWriter(Build.objects.get(pk=build.pk))
    for i in range(count):
        writer.line(f"{prefix} {writer.seq + 1} ({i})")
    writer.flush()


def finish(build: Build, status: str = Build.Status.SUCCESS) -> None:
    build.refresh_from_db()
    build.status = status
    build.digest = "sha256:" + "ab" * 32
    build.finished_at = timezone.now()
    build.save()
    publish_status(build)


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def connect_to(path: str, cookie: bytes = b"") -> WebsocketCommunicator:
    """A websocket client on ``path`` of the real ASGI app, signed in when given a cookie."""
    # Imported here, not at collection: the app's static files middleware indexes STATIC_ROOT
    # when it is made, and the session's collectstatic has not run yet at collection.
    from hub.asgi import application

    # The origin check took ALLOWED_HOSTS when hub.asgi was imported: the defaults, not testserver.
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, path, headers=headers)


def socket(build_id: int, after: int = 0, cookie: bytes = b"") -> WebsocketCommunicator:
    return connect_to(f"/ws/builds/{build_id}/?after={after}", cookie)


async def receive_until_closed(ws: WebsocketCommunicator) -> tuple[list[dict], int]:
    """Every message up to the server's close, and the close code.

    Then the client hangs up too, as a browser does: a consumer left running when the test's
    event loop ends is cancelled inside the channel layer's Redis read, which can hang the run.
    """
    messages = []
    while True:
        output = await ws.receive_output(TIMEOUT)
        if output["type"] == "websocket.close":
            await ws.disconnect(code=output.get("code", 1000), timeout=TIMEOUT)
            return messages, output.get("code", 1000)
        messages.append(json.loads(output["text"]))


async def receive_lines_until(ws: WebsocketCommunicator, last: int) -> list[int]:
    seqs = []
    while not seqs or seqs[-1] < last:
        message = await ws.receive_json_from(TIMEOUT)
        if message["type"] == "lines":
            seqs += [line["seq"] for line in message["lines"]]
    return seqs


def test_lines_arrive_in_order_with_no_gaps(alice):
    build = make_build(make_repo(alice, "app"), status=Build.Status.BUILDING)
    write_lines(build, 300)  # stored before the viewer comes: replayed

    async def scenario():
        ws = socket(build.pk)
        assert (await ws.connect(TIMEOUT))[0]
        status = await ws.receive_json_from(TIMEOUT)
        assert status["type"] == "status" and status["status"] == "building"
        # Lines keep coming while the replay runs and after it: live, from another thread.
        writer = threading.Thread(target=_write_in_thread, args=(build, 1700))
        writer.start()
        seqs = await receive_lines_until(ws, 2000)
        await database_sync_to_async(writer.join)()
        await ws.disconnect(timeout=TIMEOUT)
        return seqs

    assert async_to_sync(scenario)() == list(range(1, 2001))


def _write_in_thread(build: Build, count: int) -> None:
    try:
        write_lines(build, count, "live")
    finally:
        connection.close()


def test_a_batch_written_while_the_replay_runs_still_arrives(alice, monkeypatch):
    build = make_build(make_repo(alice, "app"), status=Build.Status.BUILDING)
    write_lines(build, 30)
    replay_lines = consumers._lines
    calls = []

    async def lines_then_more(build_id, after, before=None):
        found = await replay_lines(build_id, after, before)
        if not calls:  # just after the first replay query: lines 31-35 land, published live
            await database_sync_to_async(write_lines)(build, 5, "during the replay")
        calls.append(after)
        return found

    monkeypatch.setattr(consumers, "_lines", lines_then_more)

    async def scenario():
        ws = socket(build.pk)
        assert (await ws.connect(TIMEOUT))[0]
        seqs = await receive_lines_until(ws, 35)
        await ws.disconnect(timeout=TIMEOUT)
        return seqs

    assert async_to_sync(scenario)() == list(range(1, 36))


def test_a_reconnect_with_after_resumes_exactly_at_the_next_line(alice):
    build = make_build(make_repo(alice, "app"), status=Build.Status.BUILDING)
    write_lines(build, 50)

    async def scenario():
        ws = socket(build.pk, after=20)
        assert (await ws.connect(TIMEOUT))[0]
        assert (await ws.receive_json_from(TIMEOUT))["type"] == "status"
        replay = await ws.receive_json_from(TIMEOUT)
        await database_sync_to_async(write_lines)(build, 5, "after the reconnect")
        live = await ws.receive_json_from(TIMEOUT)
        await ws.disconnect(timeout=TIMEOUT)
        return replay, live

    replay, live = async_to_sync(scenario)()
    assert [line["seq"] for line in replay["lines"]] == list(range(21, 51))
    assert replay["lines"][0]["text"] == "line 21 (20)"
    assert [line["seq"] for line in live["lines"]] == list(range(51, 56))
    assert live["lines"][0]["text"] == "after the reconnect 51 (0)"


def test_status_changes_are_sent_with_step_progress(alice):
    build = make_build(make_repo(alice, "app"), status=Build.Status.CLONING)

    def start_building():
        Build.objects.filter(pk=build.pk).update(status="building", step=2, steps=5)
        publish_status(Build.objects.get(pk=build.pk))

    async def scenario():
        ws = socket(build.pk)
        assert (await ws.connect(TIMEOUT))[0]
        first = await ws.receive_json_from(TIMEOUT)
        await database_sync_to_async(start_building)()
        second = await ws.receive_json_from(TIMEOUT)
        await ws.disconnect(timeout=TIMEOUT)
        return first, second

    first, second = async_to_sync(scenario)()
    assert (first["type"], first["status"]) == ("status", "cloning")
    assert (second["type"], second["status"], second["step"], second["steps"]) == (
        "status",
        "building",
        2,
        5,
    )


def test_the_socket_closes_after_the_final_status(alice):
    build = make_build(make_repo(alice, "app"), status=Build.Status.PUSHING)

    async def scenario():
        ws = socket(build.pk)
        assert (await ws.connect(TIMEOUT))[0]
        await ws.receive_json_from(TIMEOUT)
        await database_sync_to_async(write_lines)(build, 3, "pushed")
        await database_sync_to_async(finish)(build)
        return await receive_until_closed(ws)

    messages, code = async_to_sync(scenario)()
    assert code == CLOSE_FINISHED
    assert [m["type"] for m in messages] == ["lines", "status"]
    assert [line["seq"] for line in messages[0]["lines"]] == [1, 2, 3]
    assert messages[-1]["status"] == "success"
    assert messages[-1]["digest"] == "sha256:" + "ab" * 32


def test_a_finished_build_sends_its_status_and_log_then_closes(alice):
    build = make_build(make_repo(alice, "app"), status=Build.Status.BUILDING)
    write_lines(build, 1200)
    finish(build, Build.Status.FAILED)

    async def scenario():
        ws = socket(build.pk, after=100)
        assert (await ws.connect(TIMEOUT))[0]
        return await receive_until_closed(ws)

    messages, code = async_to_sync(scenario)()
    assert code == CLOSE_FINISHED
    assert messages[0]["type"] == "status" and messages[0]["status"] == "failed"
    seqs = [line["seq"] for m in messages[1:] for line in m["lines"]]
    assert seqs == list(range(101, 1201))


def test_a_batch_the_channel_layer_lost_is_filled_from_the_database(alice):
    build = make_build(make_repo(alice, "app"), status=Build.Status.BUILDING)

    def store_quietly_then_publish():
        # Lines 1-10 stored but their event never sent; 11-12 stored and sent.
        BuildLogLine.objects.bulk_create(
            BuildLogLine(build=build, seq=seq, text=f"quiet {seq}") for seq in range(1, 13)
        )
        lines = [{"seq": seq, "text": f"quiet {seq}"} for seq in (11, 12)]
        event = {"type": "build.lines", "lines": lines, "step": 0, "steps": 0}
        async_to_sync(get_channel_layer().group_send)(group_name(build.pk), event)

    async def scenario():
        ws = socket(build.pk)
        assert (await ws.connect(TIMEOUT))[0]
        await ws.receive_json_from(TIMEOUT)
        await database_sync_to_async(store_quietly_then_publish)()
        seqs = await receive_lines_until(ws, 12)
        await ws.disconnect(timeout=TIMEOUT)
        return seqs

    assert async_to_sync(scenario)() == list(range(1, 13))


def test_a_replayed_batch_still_brings_its_step_progress(alice):
    build = make_build(make_repo(alice, "app"), status=Build.Status.BUILDING)
    # Stored, but the build's step not yet counted: the replay carries step 0 of 0.
    texts = ["STEP 1/3: FROM busybox", "STEP 2/3: RUN make", "ok"]
    BuildLogLine.objects.bulk_create(
        BuildLogLine(build=build, seq=seq, text=text) for seq, text in enumerate(texts, 1)
    )

    def publish_the_batch():
        lines = [{"seq": seq, "text": text} for seq, text in enumerate(texts, 1)]
        event = {"type": "build.lines", "lines": lines, "step": 2, "steps": 3}
        async_to_sync(get_channel_layer().group_send)(group_name(build.pk), event)

    async def scenario():
        ws = socket(build.pk)
        assert (await ws.connect(TIMEOUT))[0]
        await ws.receive_json_from(TIMEOUT)
        replay = await ws.receive_json_from(TIMEOUT)
        await database_sync_to_async(publish_the_batch)()
        progress = await ws.receive_json_from(TIMEOUT)
        await ws.disconnect(timeout=TIMEOUT)
        return replay, progress

    replay, progress = async_to_sync(scenario)()
    assert ([line["seq"] for line in replay["lines"]], replay["step"]) == ([1, 2, 3], 0)
    assert progress == {"type": "lines", "lines": [], "step": 2, "steps": 3}


def test_another_user_cannot_open_a_private_repositorys_build(alice):
    bob = UserFactory(username="bob")
    build = make_build(make_repo(alice, "vault", is_private=True), status="building")
    write_lines(build, 3, "secret")

    async def scenario(cookie):
        ws = socket(build.pk, cookie=cookie)
        assert (await ws.connect(TIMEOUT))[0]
        return await receive_until_closed(ws)

    assert async_to_sync(scenario)(session_cookie(bob)) == ([], CLOSE_NOT_FOUND)
    assert async_to_sync(scenario)(b"") == ([], CLOSE_NOT_FOUND)


def test_the_owner_watches_a_private_repositorys_build(alice):
    build = make_build(make_repo(alice, "vault", is_private=True), status="building")
    write_lines(build, 3, "secret")

    cookie = session_cookie(alice)

    async def scenario():
        ws = socket(build.pk, cookie=cookie)
        assert (await ws.connect(TIMEOUT))[0]
        status = await ws.receive_json_from(TIMEOUT)
        lines = await ws.receive_json_from(TIMEOUT)
        await ws.disconnect(timeout=TIMEOUT)
        return status, lines

    status, lines = async_to_sync(scenario)()
    assert status["status"] == "building"
    assert [line["text"] for line in lines["lines"]] == [
        "secret 1 (0)",
        "secret 2 (1)",
        "secret 3 (2)",
    ]


def test_anyone_watches_a_public_repositorys_build(alice):
    build = make_build(make_repo(alice, "web"), status="building")
    write_lines(build, 2)

    async def scenario():
        ws = socket(build.pk)  # no session: anonymous
        assert (await ws.connect(TIMEOUT))[0]
        status = await ws.receive_json_from(TIMEOUT)
        lines = await ws.receive_json_from(TIMEOUT)
        await ws.disconnect(timeout=TIMEOUT)
        return status, lines

    status, lines = async_to_sync(scenario)()
    assert status["type"] == "status"
    assert [line["seq"] for line in lines["lines"]] == [1, 2]


def test_a_missing_build_is_refused_like_a_private_one(alice):
    cookie = session_cookie(alice)

    async def scenario():
        ws = socket(999_999, cookie=cookie)
        assert (await ws.connect(TIMEOUT))[0]
        return await receive_until_closed(ws)

    assert async_to_sync(scenario)() == ([], CLOSE_NOT_FOUND)


def test_a_viewer_who_loses_access_is_cut_off(alice):
    web = make_repo(alice, "web")
    build = make_build(web, status=Build.Status.BUILDING)
    cookie = session_cookie(UserFactory(username="bob"))

    def make_private_and_go_on():
        web.is_private = True
        web.save(update_fields=["is_private"])
        Build.objects.filter(pk=build.pk).update(status="pushing")
        publish_status(Build.objects.get(pk=build.pk))

    async def scenario():
        ws = socket(build.pk, cookie=cookie)
        assert (await ws.connect(TIMEOUT))[0]
        assert (await ws.receive_json_from(TIMEOUT))["status"] == "building"
        await database_sync_to_async(make_private_and_go_on)()
        return await receive_until_closed(ws)

    assert async_to_sync(scenario)() == ([], CLOSE_NOT_FOUND)
