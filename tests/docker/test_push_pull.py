"""`docker pull` of the official busybox by its short name, `docker push` to one's namespace
(the first push creates the repository), refused pushes with Wharf's DENIED message, and a
pull again after `docker rmi`."""

import uuid

import pytest

from hub.models import Repository, Tag

pytestmark = pytest.mark.integration


def test_docker_pull_of_a_short_name_gets_library_busybox_latest(docker):
    pulled = docker("pull", docker.ref("busybox"))
    assert "Using default tag: latest" in pulled.stdout
    assert f"Downloaded newer image for {docker.ref('busybox')}:latest" in pulled.stdout

    images = docker("images", "--format", "{{.Repository}} {{.Tag}}").stdout.splitlines()
    assert f"{docker.ref('busybox')} latest" in images
    ran = docker("run", "--rm", "--network", "none", docker.ref("busybox"), "echo", "hello")
    assert ran.stdout == "hello\n"


def test_the_first_docker_push_creates_the_repository_and_rmi_then_pull_works(docker, alice):
    docker.login("alice")
    docker("pull", docker.ref("busybox"))
    target = docker.ref("alice/app:v1")
    # A layer of its own, so no other image in the session's engine shares it.
    mark = uuid.uuid4().hex
    container = docker.container_name()
    docker("run", "--network", "none", "--name", container, docker.ref("busybox"),
           "sh", "-c", f"echo {mark} > /mark")  # fmt: skip
    docker("commit", container, target)
    assert not Repository.objects.filter(namespace__name="alice", name="app").exists()

    pushed = docker("push", target)
    assert "v1: digest: sha256:" in pushed.stdout
    repo = Repository.objects.get(namespace__name="alice", name="app")
    tag = Tag.objects.select_related("manifest").get(repository=repo, name="v1")
    assert f"digest: {tag.manifest.digest}" in pushed.stdout

    # Gone locally: the pull downloads its own layer again (busybox's may still be shared
    # with other images of the engine), and the image runs with what was committed.
    docker("rm", container)
    docker("rmi", target)
    assert docker("images", "-q", target).stdout == ""
    again = docker("pull", target)
    assert f"Digest: {tag.manifest.digest}" in again.stdout
    assert "Pull complete" in again.stdout
    ran = docker("run", "--rm", "--network", "none", target, "cat", "/mark")
    assert ran.stdout == f"{mark}\n"


def test_docker_push_to_the_library_is_denied_to_non_staff(docker, alice):
    docker.login("alice")
    docker("pull", docker.ref("busybox"))
    target = docker.ref("mine:v1")  # a short name: library/mine
    docker("tag", docker.ref("busybox"), target)

    pushed = docker("push", target, check=False)
    assert pushed.returncode != 0
    output = pushed.stdout + pushed.stderr
    assert "denied" in output
    assert "pushing to the official library namespace is for staff only" in output
    assert not Repository.objects.filter(namespace__name="library", name="mine").exists()


def test_docker_push_to_another_users_namespace_is_denied(docker, alice, other_user):
    docker.login("alice")
    docker("pull", docker.ref("busybox"))
    target = docker.ref(f"{other_user.username}/app:v1")
    docker("tag", docker.ref("busybox"), target)

    pushed = docker("push", target, check=False)
    assert pushed.returncode != 0
    output = pushed.stdout + pushed.stderr
    assert "you may push only to your own namespace" in output
    assert not Repository.objects.filter(namespace__name=other_user.username).exists()
