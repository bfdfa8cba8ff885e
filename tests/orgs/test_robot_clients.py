"""Robots with real clients: podman and skopeo log in as ``acme+ci``, push where the robot may,
are refused elsewhere with a message that says why, and stop working once revoked."""

import pytest

from hub.models import Repository
from hub.services import repository_create
from orgs import robots, services
from orgs.models import Robot
from tests.factories import UserFactory
from tests.registry.conftest import clients, make_image, registry  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration


@pytest.fixture
def acme(transactional_db):
    alice = UserFactory(username="alice")
    org = services.org_create(user=alice, name="acme")
    for name in ("app", "tools"):  # robots push to repositories that exist
        repository_create(user=alice, namespace="acme", name=name, is_private=True)
    robot, secret = robots.robot_create(
        namespace=org,
        name="ci",
        created_by=alice,
        repositories=["app"],
        actions=["pull", "push"],
        expires_in_days=30,
    )
    return org, robot, secret


def test_a_robot_logs_in_pushes_its_repository_is_refused_elsewhere_and_revoked(
    clients,  # noqa: F811
    acme,
    tmp_path,
):
    org, robot, secret = acme
    image = make_image(tmp_path / "image", layers=2)
    login = clients.podman(
        "login", "--tls-verify=false", "-u", "acme+ci", "-p", secret, clients.host
    )
    assert "Login Succeeded" in login.stdout

    # Its repository.
    target = f"docker://{clients.host}/acme/app:v1"
    clients.skopeo("copy", "--dest-tls-verify=false", f"oci:{image}:v1", target)
    clients.skopeo("copy", "--src-tls-verify=false", target, f"oci:{tmp_path / 'back'}:v1")
    assert Repository.objects.filter(namespace=org, name="app").exists()
    pulled = clients.podman("pull", "--tls-verify=false", f"{clients.host}/acme/app:v1")
    assert pulled.returncode == 0

    # Anywhere else: DENIED, saying which right is missing and whom to ask.
    other = clients.skopeo(
        "copy",
        "--dest-tls-verify=false",
        f"oci:{image}:v1",
        f"docker://{clients.host}/acme/other:v1",
        check=False,
    )
    assert other.returncode != 0
    assert "robot acme+ci may not create acme/other" in other.stderr
    assert "ask an owner of acme to create it" in other.stderr
    tools = clients.skopeo(
        "copy",
        "--dest-tls-verify=false",
        f"oci:{image}:v1",
        f"docker://{clients.host}/acme/tools:v1",
        check=False,
    )
    # acme/tools exists, but not for this robot: refused exactly as a missing one.
    assert "robot acme+ci may not create acme/tools: robots push only to repositories" in (
        tools.stderr
    )
    elsewhere = clients.skopeo(
        "copy",
        "--dest-tls-verify=false",
        f"oci:{image}:v1",
        f"docker://{clients.host}/alice/web:v1",
        check=False,
    )
    assert elsewhere.returncode != 0 and "denied" in elsewhere.stderr.lower()
    assert not Repository.objects.filter(name__in=["other", "web"]).exists()
    assert not Repository.objects.get(namespace=org, name="tools").tags.exists()

    # Revoked: the very next pull fails, though the client still holds the login.
    robots.robot_delete(robot=Robot.objects.get(pk=robot.pk))
    after = clients.skopeo(
        "inspect", "--tls-verify=false", f"docker://{clients.host}/acme/app:v1", check=False
    )
    assert after.returncode != 0
    assert "unauthorized" in after.stderr.lower() or "authentication" in after.stderr.lower()


def test_skopeo_login_with_a_robot_and_a_wrong_secret(clients, acme):  # noqa: F811
    _, _, secret = acme
    assert "Login Succeeded" in clients.login("acme+ci", secret).stdout
    wrong = clients.skopeo(
        "login",
        "--tls-verify=false",
        "-u",
        "acme+ci",
        "-p",
        Robot.PREFIX + "x" * 40,
        clients.host,
        check=False,
    )
    assert wrong.returncode != 0
    assert "invalid username/password" in wrong.stderr
