"""Manifest media types Wharf accepts, and which of them are indexes."""

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"

IMAGE_TYPES = {DOCKER_MANIFEST, OCI_MANIFEST}
INDEX_TYPES = {DOCKER_LIST, OCI_INDEX}
MANIFEST_TYPES = IMAGE_TYPES | INDEX_TYPES

# Config media types whose JSON carries os/architecture (an image, not an artifact).
IMAGE_CONFIG_TYPES = {
    "application/vnd.docker.container.image.v1+json",
    "application/vnd.oci.image.config.v1+json",
}


def acceptable(accept: str, media_type: str) -> bool:
    """Whether a manifest of ``media_type`` answers a request with this Accept header."""
    if not accept:
        return True
    types = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    listed = types & MANIFEST_TYPES
    # Clients that list no manifest type at all (curl's */*) get what is stored.
    return not listed or media_type in types or "*/*" in types
