"""`manage.py import_image` and the busybox base image `make run` seeds."""

import json
import subprocess

import pytest
from django.core.management import CommandError, call_command

from hub.models import Manifest, Repository, Tag
from hub.registry import busybox
from tests.registry.conftest import make_image

pytestmark = pytest.mark.integration


def test_import_from_an_oci_layout(db, tmp_path, capsys):
    layout = make_image(tmp_path / "layout", layers=2, tag="v1")
    call_command("import_image", f"oci:{layout}:v1", "library/tools:1.0")
    tag = Tag.objects.select_related("repository__namespace", "manifest").get(name="1.0")
    assert tag.repository.full_name == "library/tools" and tag.repository.is_official
    assert tag.manifest.blobs.count() == 3  # config + 2 layers
    assert "imported library/tools:1.0 (sha256:" in capsys.readouterr().out


def test_import_from_a_docker_archive(db, tmp_path):
    layout = make_image(tmp_path / "layout", layers=1, tag="v1")
    archive = tmp_path / "image.tar"
    subprocess.run(
        [
            "skopeo",
            "--insecure-policy",
            "copy",
            f"oci:{layout}:v1",
            f"docker-archive:{archive}:tools:v1",
        ],
        check=True,
        capture_output=True,
    )
    call_command("import_image", f"docker-archive:{archive}", "library/fromarchive")
    manifest = Tag.objects.get(repository__name="fromarchive", name="latest").manifest
    assert manifest.os == "linux" and manifest.architecture == "amd64"


def test_import_of_an_unreadable_source_says_why(db, tmp_path):
    with pytest.raises(CommandError, match="skopeo could not read"):
        call_command("import_image", f"oci:{tmp_path}/missing:v1", "library/x")
    assert not Repository.objects.filter(name="x").exists()


@pytest.mark.skipif(not busybox.BUSYBOX.exists(), reason="busybox-static is installed by make run")
def test_busybox_base_image_is_made_from_debian_busybox_static(db, tmp_path):
    layout = busybox.build_layout(tmp_path / "busybox")
    call_command("import_image", f"oci:{layout}:latest", "library/busybox:latest")

    manifest = Manifest.objects.get(tags__name="latest", repository__name="busybox")
    assert manifest.architecture == "amd64" and manifest.os == "linux"
    doc = json.loads(bytes(manifest.content))
    config_path = layout / "blobs" / "sha256" / doc["config"]["digest"].split(":")[1]
    config = json.loads(config_path.read_text())
    assert config["config"]["Cmd"] == ["sh"]
    assert config["history"][0]["created_by"].startswith("ADD BusyBox")
