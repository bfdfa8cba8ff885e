"""Copy an image from an OCI layout (or, through skopeo, any source skopeo reads) into Wharf."""

import json
import subprocess
import tempfile
from pathlib import Path

from hub.models import Repository
from hub.registry import mediatypes, names, ocilayout
from hub.registry import uploads as upload_service
from hub.registry.manifests import manifest_put
from hub.services import repository_get_or_create

SKOPEO_TIMEOUT = 1800


class ImportError_(Exception):
    pass


def blob_ingest_file(*, repository: Repository, path: Path, digest: str) -> None:
    """Store a file as blob ``digest`` of ``repository``, verifying it like any upload."""
    if upload_service.blob_for_repository(repository=repository, digest=digest):
        return
    upload = upload_service.upload_start(repository=repository)
    with open(path, "rb") as fh:
        upload_service.upload_append(
            upload=upload, chunks=iter(lambda: fh.read(1 << 20), b""), last=True, digest=digest
        )
    upload_service.upload_finish(upload=upload, digest=digest)


def _import_manifest(repository: Repository, layout: Path, descriptor: dict, reference: str):
    content = ocilayout.blob_path(layout, descriptor["digest"]).read_bytes()
    doc = json.loads(content)
    media_type = doc.get("mediaType") or descriptor.get("mediaType", "")
    if media_type in mediatypes.INDEX_TYPES:
        for child in doc["manifests"]:
            _import_manifest(repository, layout, child, child["digest"])
    else:
        for blob in [doc["config"], *doc.get("layers", [])]:
            if blob.get("urls"):
                continue
            path = ocilayout.blob_path(layout, blob["digest"])
            blob_ingest_file(repository=repository, path=path, digest=blob["digest"])
    return manifest_put(
        repository=repository, reference=reference, content=content, content_type=media_type
    )


def import_layout(*, layout: Path, ref: str | None, target: str):
    """Import the image named ``ref`` (or the only one) of ``layout`` as ``target`` (repo:tag)."""
    repo_name, _, tag = target.rpartition(":")
    if not repo_name or "/" in tag:
        repo_name, tag = target, "latest"
    namespace, name = names.split(repo_name)
    entries = ocilayout.read_index(layout)
    if ref:
        entries = [e for e in entries if e.get("annotations", {}).get(ocilayout.REF_NAME) == ref]
    if len(entries) != 1:
        raise ImportError_(f"expected one image in {layout} (ref {ref!r}), found {len(entries)}")
    repository = repository_get_or_create(namespace=namespace, name=name)
    return _import_manifest(repository, layout, entries[0], tag)


def import_source(*, source: str, target: str):
    """Import from anything skopeo reads (``oci:…``, ``docker-archive:…``, ``oci-archive:…``).

    skopeo first normalises the source into an OCI layout in a scratch directory.
    """
    path = Path(source)
    if path.is_dir() and (path / "oci-layout").exists():
        source = f"oci:{path}"
    with tempfile.TemporaryDirectory(prefix="wharf-import-") as scratch:
        result = subprocess.run(
            [
                "skopeo",
                "copy",
                "--insecure-policy",
                "--all",
                "--quiet",
                source,
                f"oci:{scratch}:import",
            ],
            capture_output=True,
            text=True,
            timeout=SKOPEO_TIMEOUT,
        )
        if result.returncode != 0:
            raise ImportError_(f"skopeo could not read {source}: {result.stderr.strip()}")
        return import_layout(layout=Path(scratch), ref="import", target=target)
