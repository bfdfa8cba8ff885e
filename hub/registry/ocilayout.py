"""Reading and writing OCI image layouts (a directory with ``oci-layout``, ``index.json``, blobs).

Used to make images without a Docker engine (the busybox base image, test and benchmark images)
and to import images (``manage.py import_image`` has skopeo turn any source into a layout).
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
from pathlib import Path

from hub.registry import mediatypes

REF_NAME = "org.opencontainers.image.ref.name"
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
CONFIG = "application/vnd.oci.image.config.v1+json"


def _json(data) -> bytes:
    return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()


class LayoutWriter:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.blobs = self.path / "blobs" / "sha256"
        self.blobs.mkdir(parents=True, exist_ok=True)
        (self.path / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        self.index_entries: list[dict] = []

    def add_bytes(self, data: bytes, media_type: str) -> dict:
        digest = hashlib.sha256(data).hexdigest()
        (self.blobs / digest).write_bytes(data)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}

    def add_file(self, source: Path, media_type: str) -> dict:
        """Move a file into the layout under its digest (hashed while read, never in memory)."""
        h = hashlib.sha256()
        with open(source, "rb") as fh:
            while chunk := fh.read(1024 * 1024):
                h.update(chunk)
        size = os.path.getsize(source)
        shutil.move(str(source), self.blobs / h.hexdigest())
        return {"mediaType": media_type, "digest": f"sha256:{h.hexdigest()}", "size": size}

    def add_image(
        self,
        *,
        layers: list[tuple[dict, str]],
        config: dict,
        tag: str | None = None,
        annotations: dict | None = None,
        subject: dict | None = None,
        artifact_type: str | None = None,
        config_descriptor: dict | None = None,
    ) -> dict:
        """Write config and manifest for ``layers`` ((descriptor, diff_id) pairs)."""
        if config_descriptor is None:
            config = {
                **config,
                "rootfs": {"type": "layers", "diff_ids": [diff for _, diff in layers]},
            }
            config_descriptor = self.add_bytes(_json(config), CONFIG)
        manifest = {
            "schemaVersion": 2,
            "mediaType": mediatypes.OCI_MANIFEST,
            "config": config_descriptor,
            "layers": [descriptor for descriptor, _ in layers],
        }
        if annotations:
            manifest["annotations"] = annotations
        if subject:
            manifest["subject"] = subject
        if artifact_type:
            manifest["artifactType"] = artifact_type
        descriptor = self.add_bytes(_json(manifest), mediatypes.OCI_MANIFEST)
        if tag:
            self.index_entries.append({**descriptor, "annotations": {REF_NAME: tag}})
        return descriptor

    def add_index(self, children: list[tuple[dict, dict]], tag: str | None = None) -> dict:
        """An image index over (manifest descriptor, platform) pairs."""
        index = {
            "schemaVersion": 2,
            "mediaType": mediatypes.OCI_INDEX,
            "manifests": [{**d, "platform": p} for d, p in children],
        }
        descriptor = self.add_bytes(_json(index), mediatypes.OCI_INDEX)
        if tag:
            self.index_entries.append({**descriptor, "annotations": {REF_NAME: tag}})
        return descriptor

    def close(self) -> None:
        index = {"schemaVersion": 2, "manifests": self.index_entries}
        (self.path / "index.json").write_bytes(_json(index))


def tar_layer(files: dict[str, bytes | tuple[str, str]], *, mode: int = 0o755) -> tuple[bytes, str]:
    """A gzipped tar of ``files`` (path → content, or ("symlink", target)); (bytes, diff_id).

    Deterministic (fixed mtimes and owners), so the same files always make the same layer.
    """
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        made_dirs: set[str] = set()
        for name in sorted(files):
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                directory = "/".join(parts[:i])
                if directory not in made_dirs:
                    made_dirs.add(directory)
                    info = tarfile.TarInfo(directory)
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
                    tar.addfile(info)
            content = files[name]
            info = tarfile.TarInfo(name)
            info.mtime = 0
            if isinstance(content, tuple):
                info.type, info.linkname = tarfile.SYMTYPE, content[1]
                tar.addfile(info)
            else:
                info.size, info.mode = len(content), mode
                tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    diff_id = "sha256:" + hashlib.sha256(tar_bytes).hexdigest()
    return gzip.compress(tar_bytes, mtime=0), diff_id


def read_index(path: Path) -> list[dict]:
    return json.loads((Path(path) / "index.json").read_text())["manifests"]


def blob_path(path: Path, digest: str) -> Path:
    algorithm, hexdigest = digest.split(":", 1)
    return Path(path) / "blobs" / algorithm / hexdigest
