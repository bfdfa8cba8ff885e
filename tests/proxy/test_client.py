"""proxy.client against real registries: Debian's docker-registry (anonymous and htpasswd Basic)
and Wharf itself as a Bearer-token upstream."""

import hashlib
import json
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from hub import crypto
from hub.registry.importer import import_layout
from hub.registry.mediatypes import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST
from hub.services import repository_create
from proxy.client import (
    CHUNK,
    Client,
    UpstreamError,
    UpstreamUnavailable,
    client_for,
    verify_manifest,
)
from proxy.models import Upstream
from tests.factories import PASSWORD, UserFactory
from tests.proxy.conftest import UPSTREAM_PASSWORD, UPSTREAM_USER
from tests.registry.conftest import make_image

ALL_TYPES = [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST]
IMAGES = [OCI_MANIFEST, DOCKER_MANIFEST]


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layers_of(body) -> list[dict]:
    return json.loads(body.content)["layers"]


# Manifests ---------------------------------------------------------------------------------


def test_manifest_head_by_tag_gives_digest_type_and_size(upstream):
    digest = upstream.push_image("team/app", "v1")

    head = Client(url=upstream.url).manifest_head("team/app", "v1", ALL_TYPES)

    assert head.digest == digest
    assert head.media_type == OCI_MANIFEST
    assert head.size == upstream.blob_data(digest).stat().st_size
    assert upstream.count("HEAD", "/v2/team/app/manifests/v1") == 1
    assert upstream.count("GET", "/v2/team/app/manifests/v1") == 0


def test_manifest_get_by_tag_and_by_digest_is_the_pushed_manifest(upstream):
    digest = upstream.push_image("team/app", "v1", docker=True)
    client = Client(url=upstream.url)

    by_tag = client.manifest_get("team/app", "v1", ALL_TYPES)
    by_digest = client.manifest_get("team/app", digest, ALL_TYPES)

    assert by_tag.digest == by_digest.digest == digest == sha256(by_tag.content)
    assert by_tag.content == by_digest.content == upstream.blob_data(digest).read_bytes()
    assert by_tag.media_type == DOCKER_MANIFEST
    head = client.manifest_head("team/app", digest, ALL_TYPES)
    assert (head.digest, head.size) == (digest, len(by_tag.content))


def test_a_manifest_list_or_its_linux_amd64_image_as_the_accept_header_asks(upstream):
    list_digest = upstream.push_index("team/multi", "multi", docker=True)
    client = Client(url=upstream.url)

    listed = client.manifest_get("team/multi", "multi", [DOCKER_LIST, DOCKER_MANIFEST])
    image = client.manifest_get("team/multi", "multi", [DOCKER_MANIFEST])

    assert (listed.digest, listed.media_type) == (list_digest, DOCKER_LIST)
    # A client that takes no list gets the list's linux/amd64 image (distribution's fallback).
    children = json.loads(listed.content)["manifests"]
    amd64 = next(m for m in children if m["platform"]["architecture"] == "amd64")
    assert (image.digest, image.media_type) == (amd64["digest"], DOCKER_MANIFEST)


def test_an_oci_index_only_for_clients_that_accept_it(upstream):
    index_digest = upstream.push_index("team/multi", "multi")
    client = Client(url=upstream.url)

    index = client.manifest_get("team/multi", "multi", [OCI_INDEX, OCI_MANIFEST])

    assert (index.digest, index.media_type) == (index_digest, OCI_INDEX)
    assert client.manifest_head("team/multi", "multi", [DOCKER_LIST]) is None


def test_unknown_tags_repositories_and_blobs_are_none(upstream):
    upstream.push_image("team/app", "v1")
    client = Client(url=upstream.url)
    missing = "sha256:" + "0" * 64

    assert client.manifest_head("team/app", "v2", ALL_TYPES) is None
    assert client.manifest_get("team/app", "v2", ALL_TYPES) is None
    assert client.manifest_get("team/nothing", missing, ALL_TYPES) is None
    assert client.blob_open("team/app", missing) is None


# Blobs -------------------------------------------------------------------------------------


def test_a_blob_streams_in_chunks_of_its_announced_size(upstream):
    upstream.push_image("team/big", "v1", layers=1, layer_size=3 * CHUNK)
    client = Client(url=upstream.url)
    layer = layers_of(client.manifest_get("team/big", "v1", IMAGES))[0]

    with client.blob_open("team/big", layer["digest"]) as blob:
        chunks = list(blob)

    data = b"".join(chunks)
    assert blob.size == layer["size"] == len(data)
    assert sha256(data) == layer["digest"]
    assert len(chunks) >= 3 and max(map(len, chunks)) <= CHUNK
    assert upstream.count("GET", f"/v2/team/big/blobs/{layer['digest']}") == 1


def test_a_blob_closed_half_read_leaves_the_client_usable(upstream):
    upstream.push_image("team/big", "v1", layers=1, layer_size=3 * CHUNK)
    client = Client(url=upstream.url)
    layer = layers_of(client.manifest_get("team/big", "v1", IMAGES))[0]

    blob = client.blob_open("team/big", layer["digest"])
    next(iter(blob))
    blob.close()

    with client.blob_open("team/big", layer["digest"]) as again:
        assert sha256(b"".join(again)) == layer["digest"]


# An upstream that lies: bytes changed under its digests in its own storage -----------------


def test_a_manifest_that_is_not_its_digest_is_refused(upstream):
    digest = upstream.push_image("team/app", "v1")
    data = upstream.blob_data(digest)
    data.write_bytes(data.read_bytes() + b"\n")  # still valid JSON: the registry serves it
    client = Client(url=upstream.url)

    for reference in ("v1", digest):
        with pytest.raises(UpstreamError) as refused:
            client.manifest_get("team/app", reference, ALL_TYPES)
        assert refused.value.code == "DIGEST_INVALID"
        assert not isinstance(refused.value, UpstreamUnavailable)
        assert digest in refused.value.message


def test_a_blob_that_is_not_its_digest_fails_at_its_end(upstream):
    upstream.push_image("team/app", "v1", layers=1)
    client = Client(url=upstream.url)
    digest = layers_of(client.manifest_get("team/app", "v1", IMAGES))[0]["digest"]
    data = upstream.blob_data(digest)
    data.write_bytes(bytes(len(data.read_bytes())))  # as long, other bytes

    with client.blob_open("team/app", digest) as blob, pytest.raises(UpstreamError) as refused:
        for _ in blob:
            pass
    assert refused.value.code == "DIGEST_INVALID"


def test_verify_manifest_checks_header_and_reference():
    content = b'{"schemaVersion": 2}'
    digest = sha256(content)
    other = sha256(b"other")

    assert verify_manifest(content, reference="v1", header_digest=digest) == digest
    assert verify_manifest(content, reference=digest, header_digest="") == digest
    assert verify_manifest(content, reference="v1", header_digest="") == digest
    for reference, header in ((other, ""), ("v1", other), (digest, other), ("v1", "sha256:xyz")):
        with pytest.raises(UpstreamError) as refused:
            verify_manifest(content, reference=reference, header_digest=header)
        assert refused.value.code == "DIGEST_INVALID"


# Down, and back ----------------------------------------------------------------------------


def test_an_upstream_that_is_down_is_unavailable_until_it_is_back(upstream):
    digest = upstream.push_image("team/app", "v1")
    client = Client(url=upstream.url, timeout=5)
    assert client.manifest_head("team/app", "v1", ALL_TYPES).digest == digest

    upstream.stop()
    for call in (
        lambda: client.manifest_head("team/app", "v1", ALL_TYPES),
        lambda: client.manifest_get("team/app", digest, ALL_TYPES),
        lambda: client.blob_open("team/app", digest),
    ):
        with pytest.raises(UpstreamUnavailable) as down:
            call()
        assert down.value.code == "UNAVAILABLE"
        assert "could not connect" in down.value.message

    upstream.start()
    assert client.manifest_head("team/app", "v1", ALL_TYPES).digest == digest


# Names and references that are not a repository's ------------------------------------------


@pytest.mark.parametrize(
    "name", ["../etc", "team/../admin", "team%2fapp", "team/app?x=1", "team/app#x", "/team/app"]
)
def test_names_that_could_leave_the_repository_are_refused(upstream, name):
    client = Client(url=upstream.url)
    digest = "sha256:" + "0" * 64
    before = upstream.requests()

    for call in (
        lambda: client.manifest_head(name, "v1", ALL_TYPES),
        lambda: client.manifest_get(name, "v1", ALL_TYPES),
        lambda: client.blob_open(name, digest),
    ):
        with pytest.raises(ValueError, match="refused upstream repository name"):
            call()
    assert upstream.requests() == before  # nothing was sent


@pytest.mark.parametrize("reference", ["../v1", "v1/../../x", "%2e%2e", "v1?x", "v1#x", "/v1"])
def test_references_that_could_leave_the_manifest_are_refused(upstream, reference):
    client = Client(url=upstream.url)
    before = upstream.requests()

    with pytest.raises(ValueError, match="refused upstream reference"):
        client.manifest_get("team/app", reference, ALL_TYPES)
    with pytest.raises(ValueError, match="refused upstream digest"):
        client.blob_open("team/app", f"sha256:{reference}")
    assert upstream.requests() == before


# htpasswd (Basic) upstream -----------------------------------------------------------------


def test_a_basic_upstream_gets_the_password_once_asked_then_up_front(upstream_auth):
    digest = upstream_auth.push_image("team/app", "v1")
    client = Client(url=upstream_auth.url, username=UPSTREAM_USER, password=UPSTREAM_PASSWORD)

    assert client.manifest_head("team/app", "v1", ALL_TYPES).digest == digest
    assert client.manifest_get("team/app", digest, ALL_TYPES).digest == digest

    served = [(m, p, s) for m, p, s in upstream_auth.requests() if "/team/app/manifests/" in p]
    assert served[-3:] == [
        ("HEAD", "/v2/team/app/manifests/v1", 401),
        ("HEAD", "/v2/team/app/manifests/v1", 200),
        ("GET", f"/v2/team/app/manifests/{digest}", 200),
    ]
    assert client.token_fetches == 0


@pytest.mark.parametrize(
    "username, password", [(UPSTREAM_USER, "wrong"), ("", ""), ("stranger", UPSTREAM_PASSWORD)]
)
def test_a_basic_upstream_refuses_other_credentials_with_its_message(
    upstream_auth, username, password
):
    upstream_auth.push_image("team/app", "v1")
    client = Client(url=upstream_auth.url, username=username, password=password)

    with pytest.raises(UpstreamError) as refused:
        client.manifest_get("team/app", "v1", ALL_TYPES)

    assert (refused.value.status, refused.value.code) == (401, "UNAUTHORIZED")
    assert refused.value.message == "authentication required"  # docker-registry's own words
    assert not isinstance(refused.value, UpstreamUnavailable)


# Wharf as a Bearer-token upstream ----------------------------------------------------------


@pytest.fixture
def wharf(asgi_server, settings, tmp_path):
    """Wharf on a loopback port with a user's private repository ``<user>/secret:v1``."""
    settings.WHARF_URL = asgi_server.url
    user = UserFactory()
    repository_create(user=user, namespace=user.username, name="secret", is_private=True)
    layout = make_image(tmp_path / "image", layers=2, tag="v1")
    asgi_server.user = user
    asgi_server.repo = f"{user.username}/secret"
    asgi_server.digest = import_layout(layout=layout, ref="v1", target=f"{asgi_server.repo}:v1")
    return asgi_server


def test_wharf_upstream_serves_a_private_repository_through_its_token(wharf):
    client = Client(url=wharf.url, username=wharf.user.username, password=PASSWORD)

    head = client.manifest_head(wharf.repo, "v1", ALL_TYPES)
    body = client.manifest_get(wharf.repo, "v1", ALL_TYPES)
    layer = layers_of(body)[0]
    with client.blob_open(wharf.repo, layer["digest"]) as blob:
        data = b"".join(blob)

    assert head.digest == body.digest == sha256(body.content)
    assert blob.size == layer["size"] == len(data)
    assert client.token_fetches == 1  # one token, cached for the repository's later requests


def test_wharf_upstream_refuses_a_wrong_password_with_its_message(wharf):
    client = Client(url=wharf.url, username=wharf.user.username, password="not-" + PASSWORD)

    with pytest.raises(UpstreamError) as refused:
        client.manifest_get(wharf.repo, "v1", ALL_TYPES)

    assert (refused.value.status, refused.value.code) == (401, "UNAUTHORIZED")
    assert refused.value.message == "incorrect username, password or access token"


def test_wharf_upstream_keeps_a_private_repository_from_anonymous_clients(wharf):
    client = Client(url=wharf.url)

    with pytest.raises(UpstreamError) as refused:
        client.manifest_head(wharf.repo, "v1", ALL_TYPES)

    assert (refused.value.status, refused.value.code) == (401, "UNAUTHORIZED")
    assert client.token_fetches == 1


def test_credentials_and_tokens_never_reach_the_log(wharf, upstream_auth, caplog):
    caplog.set_level(logging.DEBUG, logger="proxy.client")
    upstream_auth.push_image("team/app", "v1")
    basic = Client(url=upstream_auth.url, username=UPSTREAM_USER, password=UPSTREAM_PASSWORD)
    bearer = Client(url=wharf.url, username=wharf.user.username, password=PASSWORD)

    basic.manifest_get("team/app", "v1", ALL_TYPES)
    bearer.manifest_get(wharf.repo, "v1", ALL_TYPES)
    with pytest.raises(UpstreamError):
        Client(url=wharf.url, username=wharf.user.username, password="Leaky-1").manifest_get(
            wharf.repo, "v1", ALL_TYPES
        )

    logged = caplog.text
    tokens = bearer.tokens.tokens()
    assert tokens
    for secret in (UPSTREAM_PASSWORD, PASSWORD, "Leaky-1", *tokens):
        assert secret not in logged
    assert "Basic " not in logged and "Bearer " not in logged
    assert f"upstream GET {upstream_auth.host}/v2/team/app/manifests/v1 401" in logged
    assert f"upstream GET {upstream_auth.host}/v2/team/app/manifests/v1 200" in logged
    assert f"/v2/{wharf.repo}/manifests/v1 200" in logged
    assert "/token 200" in logged


# One client per upstream in a process ------------------------------------------------------


def test_client_for_keeps_one_client_per_upstream_until_it_is_edited(upstream):
    now = timezone.now()
    stored = Upstream(
        pk=987_654_321,
        url=upstream.url,
        username=UPSTREAM_USER,
        password_encrypted=crypto.encrypt(UPSTREAM_PASSWORD),
        tls_verify=True,
        updated_at=now,
    )
    first = client_for(stored)

    assert client_for(stored) is first
    assert (first.username, first._password) == (UPSTREAM_USER, UPSTREAM_PASSWORD)
    stored.updated_at = now + timedelta(seconds=1)
    assert client_for(stored) is not first
    assert client_for(stored) is client_for(stored)
    assert "Secret" not in repr(client_for(stored))
