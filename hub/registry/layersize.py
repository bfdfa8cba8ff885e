"""A layer's unpacked size, as `docker history` shows it.

Docker's layer store records for a layer the sum of its tar entries' header sizes (moby's
``archive.UnpackLayer`` adds ``hdr.Size`` for every entry Go's tar reader returns): a file counts
its length, a directory, symlink or FIFO nothing, and a hardlink whatever its header says (0 as
every tar writer makes it). PAX and GNU long-name records are metadata, not entries, and count
nothing; a PAX ``size`` record replaces the header's, and a sparse file counts its real size.

The blob is streamed: gzip is inflated at most ``OUT_MAX`` bytes at a time (a layer of zeros
inflates a thousand times over) and file contents are counted past, never kept, so memory stays
the same whatever the layer's size. What cannot be measured (zstd, foreign layers, not a tar,
corrupt) is None and a log line, never an exception.

Speed (bench/layersize.py, the 2-core reference machine): a 256 MiB layer of random files
~1.8 GB/s (gzip stores random bytes: this is the parsing, copying and CRC), a gzip -6 of
/usr/share (573 MiB, 55,000 entries) ~250 MB/s unpacked, ~110 MB/s of gzip, where inflating
dominates. Python's tarfile in stream mode reads them at ~1.65 GB/s and ~195 MB/s, and holds
as much as one read inflates to.
"""

import json
import logging
import zlib
from collections.abc import Iterable, Iterator

from celery.exceptions import SoftTimeLimitExceeded

from hub.models import Blob, Manifest
from hub.registry.storage import get_store

log = logging.getLogger(__name__)

# Layer media types whose blob is a tar, plain or gzipped (Docker's, then OCI's). The bytes
# decide which, as Docker's own DecompressStream does: gzip's magic, or else a plain tar.
TAR_LAYER_TYPES = {
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar",
}
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

# 64 KiB pieces in and out: they stay in the CPU's caches (1 MiB pieces measured a fifth slower
# on random layers), and an input piece bigger than the output cap is copied once per call.
READ = 64 * 1024
OUT_MAX = 64 * 1024
BLOCK = 512
ZERO_BLOCK = bytes(BLOCK)
# Go's tar reader refuses PAX and GNU long-name records past 1 MiB, and so does this.
MAX_META = 1024 * 1024
# Types that carry no data whatever their size field says (Go's isHeaderOnlyType).
HEADER_ONLY = frozenset(b"123456")
OCTAL = frozenset(b"01234567")


class NotMeasurable(ValueError):
    """The blob is not a tar this module can read: the reason is the message."""


def _number(field: bytes) -> int:
    """A numeric header field: octal text, or base-256 when the top bit is set (Go's
    parseNumeric)."""
    if field and field[0] & 0x80:
        if field[0] & 0x40:
            raise NotMeasurable("negative number in a tar header")
        return int.from_bytes(bytes([field[0] & 0x7F]) + field[1:], "big")
    text = field.strip(b" \x00").split(b"\x00", 1)[0]
    if not text:
        return 0
    if not set(text) <= OCTAL:
        raise NotMeasurable("a tar header's number is not octal")
    return int(text, 8)


def _check(block: bytes) -> None:
    """Refuse a block whose checksum is wrong: it is not a tar header (random bytes, gzip
    read as tar, a truncated or shifted stream)."""
    try:
        stored = _number(block[148:156])
    except NotMeasurable:
        stored = -1
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:])
    signed = unsigned - 2 * sum(b for b in block[:148] + block[156:] if b > 127)
    if stored not in (unsigned, signed):
        raise NotMeasurable("not a tar (header checksum mismatch)")


def _pax_records(data: bytes) -> dict[bytes, bytes]:
    """``"%d %s=%s\\n"`` records; only the keys that bear on sizes are kept."""
    records, pos = {}, 0
    while pos < len(data):
        length_text, space, _ = data[pos : pos + 20].partition(b" ")
        if not space or not length_text.isdigit():
            raise NotMeasurable("malformed PAX record")
        length = int(length_text)
        record = data[pos : pos + length]
        if length <= len(length_text) + 1 or len(record) < length or record[-1:] != b"\n":
            raise NotMeasurable("malformed PAX record")
        key, equals, value = record[len(length_text) + 1 : -1].partition(b"=")
        if not equals:
            raise NotMeasurable("malformed PAX record")
        if key in (b"size", b"GNU.sparse.realsize", b"GNU.sparse.size"):
            records[key] = value
        pos += length
    return records


def _pax_number(value: bytes) -> int:
    if not value.isdigit():
        raise NotMeasurable("a PAX size is not a number")
    return int(value)


class _Reader:
    """Exact reads and skips over a stream of chunks, keeping at most one chunk."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._buf = b""
        self._pos = 0

    def read(self, n: int) -> bytes:
        """``n`` bytes, or fewer at the end of the stream."""
        while len(self._buf) - self._pos < n:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buf = self._buf[self._pos :] + chunk
            self._pos = 0
        data = self._buf[self._pos : self._pos + n]
        self._pos += len(data)
        return data

    def skip(self, n: int) -> None:
        available = len(self._buf) - self._pos
        if n <= available:
            self._pos += n
            return
        n -= available
        self._buf, self._pos = b"", 0
        for chunk in self._chunks:
            if len(chunk) >= n:
                self._buf, self._pos = chunk, n
                return
            n -= len(chunk)
        raise NotMeasurable("truncated tar (an entry's data ends early)")


def _padded(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


def tar_size(chunks: Iterable[bytes]) -> int:
    """The sum of the header sizes of a plain tar stream's entries (see the module's doc)."""
    reader = _Reader(iter(chunks))
    total = 0
    pax: dict[bytes, bytes] = {}
    while True:
        block = reader.read(BLOCK)
        if not block:  # the stream ends between entries: Go's reader takes that as the end
            return total
        if len(block) < BLOCK:
            raise NotMeasurable("truncated tar (a header ends early)")
        if block == ZERO_BLOCK:
            following = reader.read(BLOCK)
            if not following or following == ZERO_BLOCK:
                return total
            raise NotMeasurable("not a tar (a zero block amid entries)")
        _check(block)
        typeflag, size = block[156], _number(block[124:136])
        if typeflag in b"xgLK":  # records about the next entry, or a global PAX header
            if size > MAX_META:
                raise NotMeasurable("a PAX or long-name record is over 1 MiB")
            data = reader.read(size)
            if len(data) < size:
                raise NotMeasurable("truncated tar (a record ends early)")
            reader.skip(_padded(size) - size)
            if typeflag == ord("x"):
                pax = _pax_records(data)
            continue
        if b"size" in pax:
            size = _pax_number(pax[b"size"])
        counted = size
        if typeflag == ord("S"):  # old GNU sparse (which dockerd 20.10 refuses): real size here
            counted = _number(block[483:495])
            extended = block[482]
            while extended:  # more of the sparse map, in blocks of its own before the data
                more = reader.read(BLOCK)
                if len(more) < BLOCK:
                    raise NotMeasurable("truncated tar (a sparse map ends early)")
                extended = more[504]
        for key in (b"GNU.sparse.realsize", b"GNU.sparse.size"):
            if key in pax:
                counted = _pax_number(pax[key])
                break
        total += counted
        if typeflag not in HEADER_ONLY:
            reader.skip(_padded(size))
        pax = {}


def _inflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """gzip (one member or several, as Go's reader reads them), OUT_MAX bytes at a time."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    for data in chunks:
        while data:
            out = inflater.decompress(data, OUT_MAX)
            if out:
                yield out
            if inflater.eof:
                data = inflater.unused_data
                if data:
                    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            else:
                data = inflater.unconsumed_tail
        # Output held back by OUT_MAX once all the input is in.
        while not inflater.eof and (out := inflater.decompress(b"", OUT_MAX)):
            yield out
    if not inflater.eof:
        raise NotMeasurable("truncated gzip stream")


def _chunks(fh, first: bytes) -> Iterator[bytes]:
    yield first
    while chunk := fh.read(READ):
        yield chunk


def unpacked_size(fh, media_type: str) -> int:
    """The unpacked size of the layer read from ``fh``; NotMeasurable says why there is none."""
    if media_type not in TAR_LAYER_TYPES:
        raise NotMeasurable(f"media type {media_type or '(none)'} is not a tar layer")
    first = fh.read(READ)
    if first.startswith(ZSTD_MAGIC):
        raise NotMeasurable("zstd-compressed")
    chunks = _chunks(fh, first)
    if not first.startswith(GZIP_MAGIC):
        return tar_size(chunks)
    inflated = _inflate(chunks)
    try:
        size = tar_size(inflated)
        for _ in inflated:  # what follows the tar's end, so that gzip's checksum is checked
            pass
        return size
    except zlib.error as exc:
        raise NotMeasurable(f"corrupt gzip stream ({exc})") from None


def blob_unpacked_size(*, digest: str, media_type: str) -> int | None:
    """The unpacked size of the stored layer blob ``digest``; None (and a log line) when it
    cannot be measured."""
    try:
        with get_store().open(digest) as fh:
            return unpacked_size(fh, media_type)
    except NotMeasurable as exc:
        log.info("layer %s: unpacked size not measured: %s", digest, exc)
    except OSError as exc:  # gone (collected), unreadable
        log.warning("layer %s: unpacked size not measured: %s", digest, exc)
    except SoftTimeLimitExceeded:  # the task's time is up: it stops (hub/tasks.py)
        raise
    except Exception:  # whatever else: the layer stays unmeasured, the caller carries on
        log.exception("layer %s: unpacked size not measured", digest)
    return None


def _layer_descriptors(manifest: Manifest) -> list[dict]:
    try:
        doc = json.loads(bytes(manifest.content))
    except ValueError:
        return []
    layers = doc.get("layers") if isinstance(doc, dict) else None
    return [
        layer
        for layer in layers or []
        if isinstance(layer, dict) and isinstance(layer.get("digest"), str)
    ]


def manifest_layers_measure(*, manifest_id: int) -> int:
    """Measure the image's layer blobs not measured yet and save their sizes; how many were.

    Safe to run twice, or alongside another manifest's run sharing a layer: a size is saved
    only where none is (the first measurement wins; all measure the same bytes).
    """
    manifest = Manifest.objects.filter(pk=manifest_id).first()
    if manifest is None:  # deleted since the push
        return 0
    layers = [layer for layer in _layer_descriptors(manifest) if not layer.get("urls")]
    pending = set(
        Blob.objects.filter(
            digest__in=[layer["digest"] for layer in layers], unpacked_size__isnull=True
        ).values_list("digest", flat=True)
    )
    measured = 0
    for layer in layers:
        digest = layer["digest"]
        if digest not in pending:
            continue
        pending.discard(digest)  # a layer listed twice is measured once
        size = blob_unpacked_size(digest=digest, media_type=str(layer.get("mediaType", "")))
        if size is not None:
            measured += Blob.objects.filter(digest=digest, unpacked_size__isnull=True).update(
                unpacked_size=size
            )
    return measured
