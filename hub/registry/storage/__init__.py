"""Blob storage: one interface (``base.Store``), one module per backend.

- ``filesystem``: the default, content-addressed files under ``$WHARF_DATA_DIR/registry``.
- ``s3``: S3-compatible object storage, chosen by ``WHARF_STORAGE_URL=s3://bucket/prefix``
  (``WHARF_S3_ENDPOINT_URL`` for MinIO, Ceph, R2…; credentials from the standard AWS_* variables
  through boto3's default chain), for web and worker hosts that share no disk.

Everything that reads or writes blobs asks ``get_store()``; nothing else knows where they are.
"""

from functools import cache, lru_cache
from pathlib import Path

from django.conf import settings

from hub.registry.storage.base import CHUNK, Store, UploadClosed, UploadState
from hub.registry.storage.filesystem import FilesystemStore

__all__ = [
    "CHUNK",
    "BlobStore",
    "FilesystemStore",
    "Store",
    "UploadClosed",
    "UploadState",
    "get_store",
    "store_for_url",
]

# The filesystem store's name from before there were two (tests/hub/test_datadir.py uses it).
BlobStore = FilesystemStore


@cache
def _filesystem(root: str) -> FilesystemStore:
    return FilesystemStore(Path(root))


@lru_cache(maxsize=64)
def _s3(url: str, endpoint_url: str, region: str, redirect: bool) -> Store:
    from hub.registry.storage import s3  # boto3 is imported only by those who use it

    bucket, prefix = s3.parse_url(url)
    client = s3.s3_client(endpoint_url, region)
    return s3.S3Store(client, bucket, prefix, redirect=redirect)


def store_for_url(url: str, *, redirect: bool | None = None) -> Store:
    """The store ``url`` names: ``s3://bucket/prefix`` (endpoint and region from settings)."""
    if redirect is None:
        redirect = settings.WHARF_S3_REDIRECT
    return _s3(url, settings.WHARF_S3_ENDPOINT_URL, settings.WHARF_S3_REGION, redirect)


def get_store() -> Store:
    if settings.WHARF_STORAGE_URL:
        return store_for_url(settings.WHARF_STORAGE_URL)
    return _filesystem(str(settings.WHARF_REGISTRY_DIR))
