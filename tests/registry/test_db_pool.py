"""PostgreSQL connections are pooled (WHARF_DB_POOL_SIZE): a web process keeps them across
requests instead of opening one per request, and a blob stream gives its own back at once, so
slow downloads never starve the requests behind them. Real uvicorn processes on the test's
PostgreSQL database; the server's connections are told apart by their application_name."""

import http.client
import os
import uuid

import pytest
from django.db import connection

from tests.factories import UserFactory, make_token
from tests.registry.coherence.helpers import push_blob, sha
from tests.registry.conftest import basic
from tests.registry.processes import database_url, web_processes

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").split(":")[0] not in ("postgres", "postgresql"),
        reason="the pool is PostgreSQL's (DATABASE_URL)",
    ),
]


def _backends(application_name: str) -> set[int]:
    """The PostgreSQL backends the web process holds open now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = %s",
            [application_name],
        )
        return {pid for (pid,) in cursor.fetchall()}


def _serve(tmp_path, pool_size: int):
    application_name = f"wharf-pool-{uuid.uuid4().hex[:8]}"
    env = {
        "DATABASE_URL": f"{database_url()}?application_name={application_name}",
        "WHARF_DB_POOL_SIZE": str(pool_size),
    }
    return application_name, web_processes(tmp_path, 1, extra_env=env)


def _user():
    owner = UserFactory()
    _, pat = make_token(owner, scope="read_write")
    return owner.username, basic(owner.username, pat)


@pytest.mark.store_independent
def test_requests_share_pooled_connections(tmp_path):
    username, auth = _user()
    application_name, serving = _serve(tmp_path, pool_size=2)
    with serving as web:
        seen: set[int] = set()
        for _ in range(20):  # each one reads the user and the token from the database
            web.a.token(f"repository:{username}/app:pull", auth=auth)
            seen |= _backends(application_name)
        # One request at a time: one connection serves them all and stays open between them
        # (without the pool each request opens its own and closes it at the end).
        assert 1 <= len(seen) <= 2, seen
        assert _backends(application_name), "the pooled connection closed after the requests"


def test_blob_stream_hands_back_its_connection(tmp_path):
    """A pool of one connection, a client reading a large blob slowly (a Range GET: Django
    streams it), and meanwhile more requests that need the database: they are answered."""
    username, auth = _user()
    name = f"{username}/app"
    blob = os.urandom(48 * 1024 * 1024)  # far more than the sockets buffer
    application_name, serving = _serve(tmp_path, pool_size=1)
    with serving as web:
        headers = web.a.bearer(f"repository:{name}:pull,push", auth=auth)
        push_blob(web.a, name, blob, headers)
        slow = http.client.HTTPConnection(web.a.host, web.a.port, timeout=30)
        slow.request(
            "GET", f"/v2/{name}/blobs/{sha(blob)}", headers={**headers, "Range": "bytes=0-"}
        )
        response = slow.getresponse()
        assert response.status == 206
        assert len(response.read(1024 * 1024)) == 1024 * 1024  # then it stops reading
        try:
            for _ in range(3):  # each one needs the pool's only connection
                status, _, _ = web.a.request("HEAD", f"/v2/{name}/blobs/{sha(blob)}", headers={
                    "Authorization": auth})  # fmt: skip
                assert status == 200
            assert len(_backends(application_name)) == 1
        finally:
            slow.close()


def test_upload_in_progress_hands_back_its_connection(tmp_path):
    """A pool of one connection and a chunk upload whose body is still arriving: requests that
    need the database are answered meanwhile, and the upload then completes."""
    username, auth = _user()
    name = f"{username}/app"
    chunk = os.urandom(8 * 1024 * 1024)
    application_name, serving = _serve(tmp_path, pool_size=1)
    with serving as web:
        headers = web.a.bearer(f"repository:{name}:pull,push", auth=auth)
        status, started, _ = web.a.request("POST", f"/v2/{name}/blobs/uploads/", headers=headers)
        assert status == 202
        slow = http.client.HTTPConnection(web.a.host, web.a.port, timeout=30)
        slow.putrequest("PATCH", started["location"])
        for header, value in {**headers, "Content-Length": str(len(chunk)),
                              "Content-Type": "application/octet-stream"}.items():  # fmt: skip
            slow.putheader(header, value)
        slow.endheaders()
        slow.send(chunk[: 1024 * 1024])  # the rest comes later
        try:
            for _ in range(3):  # each one needs the pool's only connection
                status, _, _ = web.a.request("GET", f"/v2/{name}/tags/list", headers=headers)
                assert status in (200, 404)  # answered: no tags yet
            slow.send(chunk[1024 * 1024 :])
            response = slow.getresponse()
            assert response.status == 202, response.read()
            assert response.getheader("Range") == f"0-{len(chunk) - 1}"
        finally:
            slow.close()
