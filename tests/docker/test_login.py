"""`docker login` with a password or a personal access token, `docker logout`, and a wrong
password refused with Wharf's own message."""

import json

import pytest

from tests.factories import make_token

pytestmark = pytest.mark.integration


def saved_auths(docker) -> dict:
    path = docker.config / "config.json"
    return json.loads(path.read_text()).get("auths", {}) if path.exists() else {}


def test_docker_login_with_the_password_then_logout(docker, alice):
    login = docker.login("alice")
    assert "Login Succeeded" in login.stdout
    assert docker.host in saved_auths(docker)

    logout = docker("logout", docker.host)
    assert f"Removing login credentials for {docker.host}" in logout.stdout
    assert docker.host not in saved_auths(docker)


def test_docker_login_with_a_personal_access_token(docker, alice):
    _, raw = make_token(alice, scope="read_write")
    login = docker.login("alice", raw)
    assert "Login Succeeded" in login.stdout
    assert docker.host in saved_auths(docker)


def test_docker_login_with_a_wrong_password_fails_saying_why(docker, alice):
    login = docker.login("alice", "not-the-password", check=False)
    assert login.returncode != 0
    assert "incorrect username, password or access token" in login.stderr
    assert docker.host not in saved_auths(docker)


def test_docker_login_with_another_users_token_fails(docker, alice, other_user):
    _, raw = make_token(other_user, scope="read")
    login = docker.login("alice", raw, check=False)
    assert login.returncode != 0
    assert "incorrect username, password or access token" in login.stderr
