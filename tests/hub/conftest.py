"""Repositories with real tags for page tests: OCI layouts imported in-process, no server."""

import itertools
import tempfile
from pathlib import Path

import pytest

from hub.models import Repository
from hub.registry.importer import import_layout
from hub.registry.ocilayout import LAYER_GZIP, LayoutWriter, tar_layer
from hub.services import repository_create, star_add
from tests.factories import UserFactory

_seq = itertools.count()

# What `docker build` records: instructions that made layers and ones that made none.
HISTORY = [
    {"created": "2024-05-01T10:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
    {
        "created": "2024-05-01T10:00:01Z",
        "created_by": "/bin/sh -c #(nop)  ENV APP_HOME=/srv/app",
        "empty_layer": True,
    },
    {"created": "2024-05-01T10:00:02Z", "created_by": "/bin/sh -c apk add --no-cache curl"},
    {
        "created": "2024-05-01T10:00:03Z",
        "created_by": "/bin/sh -c #(nop)  EXPOSE 8080/tcp",
        "empty_layer": True,
    },
]
CONFIG = {
    "Entrypoint": ["/docker-entrypoint.sh"],
    "Cmd": ["serve", "--port", "8080"],
    "Env": ["PATH=/usr/local/bin:/usr/bin", "APP_HOME=/srv/app"],
    "WorkingDir": "/srv/app",
    "User": "app",
    "ExposedPorts": {"8080/tcp": {}},
    "Labels": {"org.opencontainers.image.source": "https://git.example/app"},
}


def _layers(writer: LayoutWriter, count: int, salt: str) -> list[tuple[dict, str]]:
    layers = []
    for i in range(count):
        data, diff_id = tar_layer({f"data/{salt}-{i}.txt": f"{salt} layer {i}\n".encode() * 50})
        layers.append((writer.add_bytes(data, LAYER_GZIP), diff_id))
    return layers


def push_image(target: str, *, arch: str = "amd64", rich: bool = True):
    """Import a small image as ``target`` (``ns/name:tag``), its history and config filled in."""
    with tempfile.TemporaryDirectory(prefix="wharf-page-test-") as scratch:
        layout = Path(scratch) / "layout"
        writer = LayoutWriter(layout)
        salt = f"{target}-{next(_seq)}"
        config = {"architecture": arch, "os": "linux", "config": {"Cmd": ["sh"]}}
        if rich:
            config.update(
                config=CONFIG,
                history=HISTORY,
                author="Ada Lovelace <ada@example.test>",
                comment="made for the page tests",
                created="2024-05-01T10:00:03Z",
            )
        writer.add_image(layers=_layers(writer, 2, salt), config=config, tag="v1")
        writer.close()
        return import_layout(layout=layout, ref="v1", target=target)


def push_multi_arch(target: str):
    """Import a two-platform index (linux/amd64, linux/arm64/v8) as ``target``."""
    with tempfile.TemporaryDirectory(prefix="wharf-page-test-") as scratch:
        layout = Path(scratch) / "layout"
        writer = LayoutWriter(layout)
        children = []
        for arch, variant in (("amd64", ""), ("arm64", "v8")):
            config = {"architecture": arch, "os": "linux", "config": {"Cmd": [arch]}}
            salt = f"{target}-{arch}-{next(_seq)}"
            descriptor = writer.add_image(layers=_layers(writer, 1, salt), config=config)
            platform = {"architecture": arch, "os": "linux"}
            if variant:
                platform["variant"] = variant
            children.append((descriptor, platform))
        writer.add_index(children, tag="multi")
        writer.close()
        return import_layout(layout=layout, ref="multi", target=target)


def make_repo(owner, name: str, **fields) -> Repository:
    return repository_create(user=owner, namespace=owner.username, name=name, **fields)


@pytest.fixture
def fast_passwords(settings):
    """Page tests sign in with force_login; hashing three passwords per test costs a second."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db, fast_passwords):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db, fast_passwords):
    return UserFactory(username="bob")


@pytest.fixture
def staff(db, fast_passwords):
    return UserFactory(username="harbourmaster", is_staff=True)


@pytest.fixture
def public_repo(alice):
    return make_repo(alice, "web", description="The public web server")


@pytest.fixture
def secret_repo(alice):
    return make_repo(
        alice,
        "vault",
        description="Sekrit launch codes",
        full_description="# Vault\nThe hidden README",
        is_private=True,
    )


@pytest.fixture
def tagged_repo(alice):
    """alice/app with tags v1 (a rich single-platform image) and multi (a two-platform index)."""
    push_image("alice/app:v1")
    push_multi_arch("alice/app:multi")
    repo = Repository.objects.select_related("namespace").get(namespace__name="alice", name="app")
    repo.description = "An app with tags"
    repo.save(update_fields=["description"])
    return repo


__all__ = ["make_repo", "push_image", "push_multi_arch", "star_add"]
