"""Blobs in S3-compatible object storage: ``WHARF_STORAGE_URL=s3://bucket/prefix``.

Keys under the prefix mirror the filesystem store, so ``storage_migrate`` maps one to the other::

    blobs/sha256/ab/ab12…       one object per digest, written once, never modified
    uploads/<uuid>/tail         an upload's bytes not yet sent as a part (< one part)
    uploads/<uuid>/data         a chunked upload, completed and awaiting its server-side copy

Uploads stream as multipart parts while the registry hashes them: never the whole blob on
local disk or in memory. S3 wants every part but the last to be ≥ 5 MiB, and PATCH chunks may
be any size, so what is left of a request past its last full part waits in the ``tail`` object
(read back, at most one part, by the next PATCH, on whichever process or host it lands). The
rest of the upload's state — multipart UploadId, parts' ETags and sizes, the tail's ETag —
travels in ``UploadState.data`` on the Upload row.

A blob becomes visible atomically, and only after its digest is verified:
- a chunked upload is completed to ``uploads/<uuid>/data`` (an incomplete multipart upload
  cannot be read, and the bytes may need hashing), then server-side copied to its blob key
  (``upload_publish``, before the database transaction; as distribution's S3 driver moves it);
- an upload whose digest is known before its first byte (monolithic pushes, imports, proxy
  fills) streams its parts straight to the blob key, and that multipart upload is completed —
  the moment the object appears — only once the digest checked out (``upload_commit``).

The checksums botocore would add to every request since 1.36 are left to where S3 requires
them: every S3-compatible store speaks the classic protocol, bytes are signed (plain HTTP) or
under TLS on the wire, and Wharf verifies each blob's sha256 itself.
"""

import copy
import errno
import os
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from hub.registry import digests
from hub.registry.storage.base import CHUNK, UploadClosed, UploadState

MiB = 1024 * 1024
PART_SIZE = 8 * MiB  # S3's minimum is 5 MiB; each part is held in memory while it is sent
PARTS_PER_STEP = 1000  # parts grow by PART_SIZE every this many: 10,000 parts reach 440 GB
MAX_COPY = 5 * 1024 * MiB  # one CopyObject's limit; larger blobs copy part by part
REDIRECT_SECONDS = 1200  # presigned download URLs live 20 minutes, as distribution's do
MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchUpload"}

_client_lock = threading.Lock()


@lru_cache(maxsize=8)
def s3_client(endpoint_url: str, region: str):
    """One client per endpoint and region for the whole process (clients are thread-safe,
    sessions are not; a client costs tens of milliseconds to make)."""
    config = Config(
        region_name=region,
        signature_version="s3v4",  # presigned URLs too (botocore's default there is SigV2)
        max_pool_connections=64,
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=10,
        read_timeout=300,  # completing or copying a large object takes S3 a while
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        # MinIO, Ceph and most other S3-compatible servers address buckets by path.
        s3={"addressing_style": "path"} if endpoint_url else {},
    )
    with _client_lock:
        return boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or None, config=config
        )


def parse_url(url: str) -> tuple[str, str]:
    """(bucket, key prefix ending in "/" or empty) of ``s3://bucket/prefix``."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"not an s3://bucket/prefix URL: {url!r}")
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in MISSING


def part_target(number: int) -> int:
    """The size of part ``number`` (1-based): the same for the first thousand, then larger."""
    return PART_SIZE * (1 + (number - 1) // PARTS_PER_STEP)


class S3Store:
    def __init__(self, client, bucket: str, prefix: str = "", *, redirect: bool = False):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.redirect = redirect

    def __repr__(self) -> str:
        return f"S3Store(s3://{self.bucket}/{self.prefix})"

    # --- keys ---
    def blob_key(self, digest: str) -> str:
        algorithm, hexdigest = digests.parse(digest)
        return f"{self.prefix}blobs/{algorithm}/{hexdigest[:2]}/{hexdigest}"

    def _upload_key(self, upload_id, name: str) -> str:
        return f"{self.prefix}uploads/{upload_id}/{name}"

    def _head(self, key: str) -> dict | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                return None
            raise

    def _get(self, key: str, start: int = 0, end: int | None = None, **kwargs):
        if start or end is not None:
            kwargs["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key, **kwargs)["Body"]
        except ClientError as exc:
            if _missing(exc):  # as open() of a missing file says it
                raise FileNotFoundError(
                    errno.ENOENT, os.strerror(errno.ENOENT), f"s3://{self.bucket}/{key}"
                ) from None
            raise

    # --- blobs ---
    def exists(self, digest: str) -> bool:
        return self._head(self.blob_key(digest)) is not None

    def size(self, digest: str) -> int | None:
        head = self._head(self.blob_key(digest))
        return None if head is None else head["ContentLength"]

    def open(self, digest: str, start: int = 0, end: int | None = None):
        return self._get(self.blob_key(digest), start, end)

    def read(self, digest: str) -> bytes:
        with self.open(digest) as body:
            return body.read()

    def iter_range(self, digest: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        with self._get(self.blob_key(digest), start, end) as body:
            while chunk := body.read(CHUNK):
                yield chunk

    def put_bytes(self, data: bytes, digest: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.blob_key(digest), Body=data)

    def put_file(self, fh, digest: str) -> None:
        """A managed multipart upload straight to the blob key: the object appears when the
        last part is in (and an upload that fails midway is aborted)."""
        config = TransferConfig(multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE)
        self.client.upload_fileobj(fh, self.bucket, self.blob_key(digest), Config=config)

    def delete(self, digest: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.blob_key(digest))

    def digests(self) -> Iterator[tuple[str, int]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}blobs/"
        )
        for page in pages:
            for obj in page.get("Contents", []):
                parts = obj["Key"][len(self.prefix) :].split("/")
                if len(parts) == 4:  # blobs/<algorithm>/<ab>/<hex>
                    yield f"{parts[1]}:{parts[3]}", obj["Size"]

    def download_url(self, digest: str) -> str | None:
        if not self.redirect:
            return None
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": self.blob_key(digest)},
            ExpiresIn=REDIRECT_SECONDS,
        )

    # --- uploads ---
    def upload_create(self, upload_id) -> UploadState:
        return UploadState(size=0, data={"parts": []})  # nothing in the bucket until bytes come

    def upload_size(self, upload_id, state: UploadState) -> int | None:
        return state.size

    def _tail(self, upload_id, data: dict) -> bytes:
        """The buffered bytes past the last part (at most one part's worth)."""
        if not data.get("tail"):
            return b""
        try:
            body = self._get(self._upload_key(upload_id, "tail"), IfMatch=data["tail"])
        except ClientError as exc:  # overwritten by a PATCH racing this upload's last one
            raise RuntimeError(
                f"upload {upload_id}: its buffered bytes changed; restart it"
            ) from exc
        with body:
            return body.read()

    def _put_tail(self, upload_id, data: dict, body: bytes) -> None:
        key = self._upload_key(upload_id, "tail")
        data["tail"] = self.client.put_object(Bucket=self.bucket, Key=key, Body=body)["ETag"]

    def _begin(self, upload_id, data: dict, digest: str | None) -> None:
        key = self.blob_key(digest) if digest else self._upload_key(upload_id, "data")
        answer = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)
        data.update(key=key, multipart=answer["UploadId"], direct=bool(digest))

    def _part(self, data: dict, body) -> None:
        number = len(data["parts"]) + 1
        answer = self.client.upload_part(
            Bucket=self.bucket,
            Key=data["key"],
            UploadId=data["multipart"],
            PartNumber=number,
            Body=body,
        )
        data["parts"].append([answer["ETag"], len(body)])

    def _complete(self, data: dict) -> None:
        parts = [{"ETag": etag, "PartNumber": n} for n, (etag, _) in enumerate(data["parts"], 1)]
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=data["key"],
            UploadId=data["multipart"],
            MultipartUpload={"Parts": parts},
        )
        data["completed"] = True

    def _abort(self, key: str, multipart: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=multipart)
        except ClientError as exc:
            if not _missing(exc):
                raise

    def upload_append(
        self,
        upload_id,
        chunks: Iterable[bytes],
        *,
        state: UploadState | None = None,
        last: bool = False,
        digest: str | None = None,
    ) -> UploadState:
        """Full parts are sent as they fill; the rest becomes the new tail object (or, when
        ``last``, the last part). Nothing is recorded until every chunk is in: parts sent by
        an append that fails are unrecorded, and the next append sends those numbers again."""
        state = state or self.upload_create(upload_id)
        data = copy.deepcopy(state.data)
        data.setdefault("parts", [])
        if data.get("last"):
            raise UploadClosed(upload_id)
        had_tail = bool(data.get("tail"))
        buf = bytearray(self._tail(upload_id, data))
        size = state.size
        began = False
        try:
            for chunk in chunks:
                buf += chunk
                size += len(chunk)
                while len(buf) >= (target := part_target(len(data["parts"]) + 1)):
                    if not data.get("multipart"):
                        self._begin(upload_id, data, digest if state.size == 0 else None)
                        began = True
                    self._part(data, bytes(memoryview(buf)[:target]))
                    del buf[:target]
            data["tail"] = ""
            if last and data.get("multipart"):
                if buf:
                    self._part(data, bytes(buf))
            elif buf or last:  # last with no part yet: the tail is the whole (maybe empty) blob
                self._put_tail(upload_id, data, bytes(buf))
        except BaseException:
            if began:
                self._abort(data["key"], data["multipart"])
            raise
        if had_tail and not data["tail"]:
            self.client.delete_object(Bucket=self.bucket, Key=self._upload_key(upload_id, "tail"))
        data["last"] = last
        return UploadState(size=size, data=data)

    def upload_seal(self, upload_id, state: UploadState) -> UploadState:
        data = copy.deepcopy(state.data)
        if data.get("sealed"):
            return state
        data.setdefault("parts", [])
        if data.get("multipart"):
            if not data.get("last") and (tail := self._tail(upload_id, data)):
                self._part(data, tail)
            if data.get("tail"):
                self.client.delete_object(
                    Bucket=self.bucket, Key=self._upload_key(upload_id, "tail")
                )
                data["tail"] = ""
            if not data.get("direct"):  # a direct one appears only once verified (commit)
                self._complete(data)
        elif not data.get("tail"):  # nothing received at all: an empty blob
            self._put_tail(upload_id, data, b"")
        data.update(last=True, sealed=True)
        return UploadState(size=state.size, data=data)

    def _sealed_key(self, upload_id, data: dict) -> str:
        if data.get("direct"):
            raise RuntimeError(f"upload {upload_id} streams to its blob: no copy to read")
        return data["key"] if data.get("multipart") else self._upload_key(upload_id, "tail")

    def upload_chunks(self, upload_id, state: UploadState) -> Iterator[bytes]:
        with self._get(self._sealed_key(upload_id, state.data)) as body:
            while chunk := body.read(CHUNK):
                yield chunk

    def _copy(self, source: str, target: str, size: int) -> None:
        source = {"Bucket": self.bucket, "Key": source}
        if size <= MAX_COPY:
            self.client.copy_object(Bucket=self.bucket, Key=target, CopySource=source)
        else:
            config = TransferConfig(multipart_threshold=MAX_COPY, multipart_chunksize=512 * MiB)
            self.client.copy(source, self.bucket, target, Config=config)

    def upload_publish(self, upload_id, digest: str, state: UploadState) -> UploadState:
        if not state.data.get("direct"):
            source = self._sealed_key(upload_id, state.data)
            self._copy(source, self.blob_key(digest), state.size)
        return state

    def upload_commit(
        self, upload_id, digest: str, *, state: UploadState | None = None, sealed: bool = False
    ) -> None:
        """Complete a direct upload (the object appears whole), or copy a sealed one — again,
        if what ``upload_publish`` copied was collected meanwhile."""
        if not sealed:
            state = self.upload_seal(upload_id, state)
        data = state.data
        if data.get("direct"):
            if data["key"] != self.blob_key(digest):
                raise ValueError(f"upload {upload_id} was streamed to another digest's key")
            self._complete(data)
        else:
            self._copy(self._sealed_key(upload_id, data), self.blob_key(digest), state.size)

    def upload_delete(self, upload_id, state: UploadState | None = None) -> None:
        data = state.data if state is not None else {}
        if data.get("multipart") and not data.get("completed"):
            self._abort(data["key"], data["multipart"])
        names = ["tail", "data"] if state is None else []
        if data.get("tail"):
            names.append("tail")
        if data.get("completed") and not data.get("direct"):
            names.append("data")
        if names:
            self.client.delete_objects(
                Bucket=self.bucket,
                Delete={
                    "Objects": [{"Key": self._upload_key(upload_id, n)} for n in names],
                    "Quiet": True,
                },
            )

    def upload_sweep(self, *, live: dict[str, UploadState], cutoff: datetime, dry_run: bool) -> int:
        """Abort multipart uploads no live session owns (under ``uploads/`` or, streamed
        straight to a blob, ``blobs/``) and delete leftover ``uploads/`` objects."""
        owned = {state.data.get("multipart") for state in live.values()}
        uploads = f"{self.prefix}uploads/"
        swept = 0
        for where in (uploads, f"{self.prefix}blobs/"):
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=where
            )
            for page in pages:
                for upload in page.get("Uploads", []):
                    # A session's own key names it, so a multipart upload its append has begun
                    # but not recorded yet is spared; one streaming to a blob key, by its age.
                    session = upload["Key"][len(uploads) :].split("/")[0]
                    if where == uploads and session in live:
                        continue
                    if upload["UploadId"] in owned or upload["Initiated"] >= cutoff:
                        continue
                    swept += 1
                    if not dry_run:
                        self._abort(upload["Key"], upload["UploadId"])
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=uploads
        )
        for page in pages:
            for obj in page.get("Contents", []):
                upload_id = obj["Key"][len(uploads) :].split("/")[0]
                if upload_id in live or obj["LastModified"] >= cutoff:
                    continue
                swept += 1
                if not dry_run:
                    self.client.delete_object(Bucket=self.bucket, Key=obj["Key"])
        return swept
