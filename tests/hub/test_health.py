import pytest


def test_healthz_is_200_when_database_and_redis_answer(client, db):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["redis"] == {"ok": True}
    assert isinstance(body["workers"], list)
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_is_503_when_redis_does_not_answer(client, db, settings, tmp_path):
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
    from hub.redisconn import get_redis, key

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
