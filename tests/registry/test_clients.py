"""Real registry clients against Wharf: skopeo, buildah and podman, unchanged."""

import json

import pytest

from hub.models import Repository
from tests.factories import UserFactory, make_token
from tests.registry.conftest import make_image, make_index

pytestmark = pytest.mark.integration


def blob_digests(layout) -> set[str]:
    return {p.name for p in (layout / "blobs" / "sha256").iterdir()}


def test_skopeo_login_with_token_then_push_and_pull_byte_identical(clients, owner, tmp_path):
    user, raw = owner
    image = make_image(tmp_path / "image", layers=4)
    assert "Login Succeeded" in clients.login(user.username, raw).stdout

    target = f"docker://{clients.host}/{user.username}/web:v1"
    clients.skopeo("copy", "--dest-tls-verify=false", f"oci:{image}:v1", target)
    clients.skopeo("copy", "--src-tls-verify=false", target, f"oci:{tmp_path / 'back'}:v1")

    assert blob_digests(tmp_path / "back") == blob_digests(image)
    inspect = json.loads(clients.skopeo("inspect", "--tls-verify=false", target).stdout)
    assert inspect["Architecture"] == "amd64" and len(inspect["Layers"]) == 4
    repo = Repository.objects.get(namespace__name=user.username, name="web")
    assert repo.is_private is False  # WHARF_DEFAULT_VISIBILITY


def test_buildah_push_and_pull(clients, owner, tmp_path):
    user, raw = owner
    image = make_image(tmp_path / "image", layers=2)
    clients.login(user.username, raw)
    ref = f"{clients.host}/{user.username}/tools:1.0"

    clients.buildah("pull", f"oci:{image}:v1")
    local = clients.buildah("images", "--format", "{{.ID}}").stdout.split()[0]
    clients.buildah("push", "--tls-verify=false", local, f"docker://{ref}")
    clients.buildah("rmi", "--all")
    clients.buildah("pull", "--tls-verify=false", f"docker://{ref}")

    listed = clients.buildah("images", "--format", "{{.Name}}:{{.Tag}}").stdout
    assert f"{clients.host}/{user.username}/tools:1.0" in listed


def test_push_to_library_is_denied_with_a_message_naming_your_namespace(clients, owner, tmp_path):
    user, raw = owner
    image = make_image(tmp_path / "image", layers=1)
    clients.login(user.username, raw)

    result = clients.skopeo(
        "copy",
        "--dest-tls-verify=false",
        f"oci:{image}:v1",
        f"docker://{clients.host}/library/web:v1",
        check=False,
    )
    assert result.returncode != 0
    assert "official library namespace is for staff only" in result.stderr
    assert f"{user.username}/web" in result.stderr
    assert not Repository.objects.filter(name="web").exists()


def test_push_to_another_users_namespace_is_denied(clients, owner, tmp_path):
    user, raw = owner
    other = UserFactory()
    image = make_image(tmp_path / "image", layers=1)
    clients.login(user.username, raw)

    result = clients.skopeo(
        "copy",
        "--dest-tls-verify=false",
        f"oci:{image}:v1",
        f"docker://{clients.host}/{other.username}/web:v1",
        check=False,
    )
    assert result.returncode != 0
    assert f"you may push only to your own namespace ({user.username}/…)" in result.stderr


def test_staff_push_to_library_makes_an_official_image(clients, tmp_path, transactional_db):
    staff = UserFactory(is_staff=True)
    _, raw = make_token(staff, scope="read_write")
    image = make_image(tmp_path / "image", layers=1)
    clients.login(staff.username, raw)
    clients.skopeo(
        "copy",
        "--dest-tls-verify=false",
        f"oci:{image}:v1",
        f"docker://{clients.host}/library/base:v1",
    )

    # Pulled anonymously by its short name, as `docker pull base:v1` would.
    (clients.root / "auth.json").unlink()
    clients.skopeo(
        "copy",
        "--src-tls-verify=false",
        f"docker://{clients.host}/base:v1",
        f"oci:{tmp_path / 'back'}:v1",
    )
    assert blob_digests(tmp_path / "back") == blob_digests(image)


def test_read_only_token_cannot_push(clients, tmp_path, transactional_db):
    user = UserFactory()
    _, raw = make_token(user, scope="read")
    image = make_image(tmp_path / "image", layers=1)
    clients.login(user.username, raw)
    result = clients.skopeo(
        "copy",
        "--dest-tls-verify=false",
        f"oci:{image}:v1",
        f"docker://{clients.host}/{user.username}/web:v1",
        check=False,
    )
    assert result.returncode != 0
    assert "this access token is Read-only; it cannot push" in result.stderr


def test_multi_arch_index_push_and_pull_each_platform(clients, owner, tmp_path):
    user, raw = owner
    make_index(tmp_path / "index")
    clients.login(user.username, raw)
    target = f"docker://{clients.host}/{user.username}/multi:1"

    clients.skopeo(
        "copy", "--all", "--dest-tls-verify=false", f"oci:{tmp_path / 'index'}:multi", target
    )

    raw_index = json.loads(clients.skopeo("inspect", "--raw", "--tls-verify=false", target).stdout)
    assert [m["platform"]["architecture"] for m in raw_index["manifests"]] == ["amd64", "arm64"]
    for arch in ("amd64", "arm64"):
        info = json.loads(
            clients.skopeo("--override-arch", arch, "inspect", "--tls-verify=false", target).stdout
        )
        assert info["Architecture"] == arch
    repo = Repository.objects.get(name="multi")
    assert repo.manifests.get(media_type__contains="index").children.count() == 2


def test_podman_search_shows_the_five_columns(clients, owner, tmp_path):
    user, raw = owner
    clients.login(user.username, raw)
    image = make_image(tmp_path / "image", layers=1)
    clients.skopeo(
        "copy",
        "--dest-tls-verify=false",
        f"oci:{image}:v1",
        f"docker://{clients.host}/{user.username}/searchme:v1",
    )
    Repository.objects.filter(name="searchme").update(
        description="The searchable one", star_count=7, is_automated=True
    )

    out = clients.podman(
        "search",
        "--tls-verify=false",
        "--format",
        "{{.Name}}|{{.Description}}|{{.Stars}}|{{.Official}}|{{.Automated}}",
        f"{clients.host}/searchme",
    ).stdout

    assert out.strip() == f"{clients.host}/{user.username}/searchme|The searchable one|7||[OK]"


def test_skopeo_delete_removes_the_tagged_manifest(clients, owner, tmp_path):
    user, raw = owner
    image = make_image(tmp_path / "image", layers=1)
    clients.login(user.username, raw)
    target = f"docker://{clients.host}/{user.username}/gone:v1"
    clients.skopeo("copy", "--dest-tls-verify=false", f"oci:{image}:v1", target)

    clients.skopeo("delete", "--tls-verify=false", target)

    result = clients.skopeo("inspect", "--tls-verify=false", target, check=False)
    assert result.returncode != 0 and "manifest unknown" in result.stderr
