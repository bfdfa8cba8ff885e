"""API tests: repositories made through the services, images imported from OCI layouts."""

import os

import pytest
from rest_framework.test import APIClient

from accounts.authentication import api_token_issue
from hub import services
from hub.models import Repository
from hub.registry.importer import import_layout
from hub.registry.ocilayout import LAYER_GZIP, LayoutWriter, tar_layer
from tests.factories import UserFactory


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True)


def signed_in(user) -> APIClient:
    """A client sending the user's API token, as a script would after ``/api/v2/users/login``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}")
    return client


def as_token(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def make_repo(user, name: str, *, namespace: str | None = None, **fields) -> Repository:
    return services.repository_create(
        user=user, namespace=namespace or user.username, name=name, **fields
    )


def _image(writer: LayoutWriter, arch: str, seed: str, tag: str | None = None) -> dict:
    data, diff_id = tar_layer({f"data/{seed}.bin": os.urandom(64)})
    layer = writer.add_bytes(data, LAYER_GZIP)
    config = {"architecture": arch, "os": "linux", "config": {"Cmd": ["sh"]}}
    if arch == "arm":
        config["variant"] = "v7"
    return writer.add_image(layers=[(layer, diff_id)], config=config, tag=tag)


def push_image(tmp_path, repository: Repository, tag: str, *, arch: str = "amd64"):
    """Import a one-layer image as ``repository:tag``; returns its Manifest."""
    path = tmp_path / f"layout-{repository.pk}-{tag}"
    writer = LayoutWriter(path)
    _image(writer, arch, tag, tag=tag)
    writer.close()
    return import_layout(layout=path, ref=tag, target=f"{repository.full_name}:{tag}")


def push_index(tmp_path, repository: Repository, tag: str, *, archs=("amd64", "arm64", "arm")):
    """Import a multi-arch image (an index over one image per architecture)."""
    path = tmp_path / f"layout-{repository.pk}-{tag}"
    writer = LayoutWriter(path)
    children = []
    for arch in archs:
        descriptor = _image(writer, arch, f"{tag}-{arch}")
        platform = {"os": "linux", "architecture": arch}
        if arch == "arm":
            platform["variant"] = "v7"
        children.append((descriptor, platform))
    writer.add_index(children, tag=tag)
    writer.close()
    return import_layout(layout=path, ref=tag, target=f"{repository.full_name}:{tag}")
