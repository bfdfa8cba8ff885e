"""What the coherence tests share: images made on the fly, pushes, and asking A and B alike."""

import hashlib
import json
import os
from dataclasses import dataclass

from hub.registry import mediatypes
from tests.registry.conftest import Http
from tests.registry.processes import Web

WARM = 3  # how often each question is asked before the change


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Image:
    body: bytes
    blobs: list[bytes]
    media_type: str = mediatypes.OCI_MANIFEST

    @property
    def digest(self) -> str:
        return sha(self.body)

    @property
    def layer(self) -> bytes:
        return self.blobs[-1]


def new_image() -> Image:
    """An image of one random layer; its digest is known before it is pushed."""
    config, layer = json.dumps({"architecture": "amd64", "os": "linux"}).encode(), os.urandom(999)
    manifest = {
        "schemaVersion": 2,
        "mediaType": mediatypes.OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(config),
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha(layer),
                    "size": len(layer)}],
    }  # fmt: skip
    return Image(json.dumps(manifest).encode(), [config, layer])


def new_index(child: Image) -> Image:
    entry = {"mediaType": child.media_type, "digest": child.digest, "size": len(child.body),
             "platform": {"architecture": "amd64", "os": "linux"}}  # fmt: skip
    manifest = {"schemaVersion": 2, "mediaType": mediatypes.OCI_INDEX, "manifests": [entry]}
    return Image(json.dumps(manifest).encode(), [], mediatypes.OCI_INDEX)


def push_blob(http: Http, name: str, data: bytes, headers: dict) -> None:
    path = f"/v2/{name}/blobs/uploads/?digest={sha(data)}"
    assert http.request("POST", path, body=data, headers=headers)[0] == 201


def push(http: Http, name: str, reference: str, image: Image, headers: dict) -> None:
    for blob in image.blobs:
        push_blob(http, name, blob, headers)
    status, h, _ = http.request("PUT", f"/v2/{name}/manifests/{reference}", body=image.body,
                                headers={**headers, "Content-Type": image.media_type})  # fmt: skip
    assert (status, h.get("docker-content-digest")) == (201, image.digest)


def code(body: bytes) -> str:
    return json.loads(body)["errors"][0]["code"]


def each(paths, callers, methods=("HEAD", "GET")) -> list[tuple[str, str, dict]]:
    """Every (method, path, headers) of these."""
    return [(m, p, h) for p in paths for m in methods for h in callers]


def warm(ab: Web, *requests: tuple[str, str, dict]) -> set[int]:
    """Ask both processes each (method, path, headers) a few times, so that caches hold these
    answers; the statuses they gave."""
    statuses = set()
    for _ in range(WARM):
        for http in ab:
            for method, path, headers in requests:
                statuses.add(http.request(method, path, headers=headers)[0])
    return statuses


def api(ab: Web, method: str, path: str, pat: str, data: dict | None = None) -> int:
    """A REST API call on A with a personal access token; its status."""
    headers = {"Authorization": f"Bearer {pat}", "Content-Type": "application/json"}
    body = json.dumps(data).encode() if data is not None else None
    return ab.a.request(method, f"/api/v2/{path}", body=body, headers=headers)[0]


def refused(status: int, body: bytes, image: Image) -> bool:
    """Turned away (401, or 404 as for what does not exist), and shown nothing of the image."""
    return status in (401, 404) and image.body not in body and image.layer not in body
