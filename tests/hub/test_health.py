import time

import pytest

from hub.heartbeat import beat_once
from hub.redisconn import get_redis, key


def test_healthz_is_degraded_but_200_while_no_worker_is_alive(client, db):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["reason"] == "no worker is alive: builds wait in the queue until one starts"
    assert body["database"]["ok"] is True
    assert body["redis"] == {"ok": True}
    assert body["workers"] == []
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_is_ok_when_database_redis_and_a_worker_answer(client, db):
    beat_once(get_redis(), "wharf-worker@build-1", time.time())  # what a worker writes
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert "reason" not in body
    assert body["workers"] == ["wharf-worker@build-1"]


def test_healthz_is_degraded_again_once_the_last_worker_stopped_beating(client, db):
    beat_once(get_redis(), "wharf-worker@build-1", time.time())
    assert client.get("/healthz").json()["status"] == "ok"
    get_redis().delete(key("worker", "wharf-worker@build-1"))  # what its TTL or shutdown does
    assert client.get("/healthz").json()["status"] == "degraded"


def test_healthz_is_503_when_redis_does_not_answer(client, db, settings, tmp_path):
    beat_once(get_redis(), "wharf-worker@build-1", time.time())  # a worker cannot make up for it
    settings.REDIS_URL = f"unix://{tmp_path}/nothing-listens-here.sock"
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["redis"]["ok"] is False
    assert "Error" in body["redis"]["error"]
    assert body["database"]["ok"] is True


@pytest.mark.django_db
def test_healthz_lists_workers_whose_heartbeat_is_fresh(client, settings):
    get_redis().set(key("worker", "celery@build-7"), "{}", ex=30)
    assert client.get("/healthz").json()["workers"] == ["celery@build-7"]


def test_healthz_answers_head_requests(client, db):
    response = client.head("/healthz")
    assert response.status_code == 200
    assert response.content == b""


def test_healthz_names_the_error_but_not_its_details(client, db, settings, tmp_path):
    socket_path = f"{tmp_path}/nothing-listens-here.sock"
    settings.REDIS_URL = f"unix://{socket_path}"
    response = client.get("/healthz")
    body = response.json()
    assert body["redis"]["error"] == "ConnectionError"
    assert str(tmp_path) not in response.content.decode()
