"""A layer's unpacked size as `docker history` shows it: the sum of its tar entries' header sizes
(hub/registry/layersize.py). The expected sums were checked against Debian's dockerd 20.10: it
loaded these same kinds of tars and `docker history --human=false` showed these numbers."""

import gzip
import hashlib
import io
import logging
import random
import subprocess
import tarfile
import tracemalloc
import zlib

import pytest

from hub.models import Blob
from hub.registry import layersize
from hub.registry.layersize import blob_unpacked_size
from hub.registry.ocilayout import LAYER_GZIP, LAYER_TAR
from hub.registry.storage import get_store
from hub.tasks import layers_measure
from tests.factories import UserFactory
from tests.hub.conftest import push_image

DOCKER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
BYTES = random.Random(12)  # the same bytes every run: every outcome below is fixed
LONG_DIR = "d/" + "x" * 150
LONG_FILE = f"{LONG_DIR}/long-name-file-" + "y" * 120


def entry(name: str, kind=tarfile.REGTYPE, data: bytes | None = None, **fields):
    info = tarfile.TarInfo(name)
    info.type, info.mtime, info.mode = kind, 1_700_000_000, 0o755
    info.size = len(data) if data is not None else 0
    for key, value in fields.items():
        setattr(info, key, value)
    return info, data


def make_tar(entries, *, fmt=tarfile.PAX_FORMAT) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return raw.getvalue()


# Dirs, symlinks, hardlinks, a FIFO and an empty file count 0; so do the PAX records that carry
# the long names: only the two files' bytes count (docker said 2011 for this layer).
ROOTFS = [
    entry("bin/", tarfile.DIRTYPE),
    entry("bin/tool", data=BYTES.randbytes(1234)),
    entry("bin/empty", data=b""),
    entry("bin/link", tarfile.SYMTYPE, linkname="tool"),
    entry("bin/hard", tarfile.LNKTYPE, linkname="bin/tool"),
    entry(LONG_DIR + "/", tarfile.DIRTYPE),
    entry(LONG_FILE, data=BYTES.randbytes(777)),
    entry("run/fifo", tarfile.FIFOTYPE),
]
ROOTFS_SIZE = 1234 + 777


def stored(data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    get_store().put_bytes(data, digest)
    return digest


def measure(data: bytes, media_type: str = LAYER_GZIP) -> int | None:
    return blob_unpacked_size(digest=stored(data), media_type=media_type)


def tarfile_sum(data: bytes) -> int:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|*") as tar:
        return sum(member.size for member in tar)


@pytest.mark.parametrize("media_type", [LAYER_GZIP, DOCKER_GZIP])
def test_a_gzip_layer_counts_only_the_files_bytes(media_type):
    layer = gzip.compress(make_tar(ROOTFS), mtime=0)
    assert measure(layer, media_type) == ROOTFS_SIZE == tarfile_sum(layer)


def test_a_plain_tar_layer_counts_the_same():
    assert measure(make_tar(ROOTFS), LAYER_TAR) == ROOTFS_SIZE


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT])
def test_gnu_and_ustar_tars_count_the_same(fmt):
    entries = ROOTFS if fmt == tarfile.GNU_FORMAT else [e for e in ROOTFS if len(e[0].name) < 100]
    expected = sum(info.size for info, _ in entries)
    assert measure(gzip.compress(make_tar(entries, fmt=fmt))) == expected


def test_the_bytes_decide_gzip_or_plain_as_docker_does():
    # A plain tar labelled gzip (and the reverse) is read as what it is, as dockerd reads it.
    assert measure(make_tar(ROOTFS), LAYER_GZIP) == ROOTFS_SIZE
    assert measure(gzip.compress(make_tar(ROOTFS), mtime=0), LAYER_TAR) == ROOTFS_SIZE


def _set_size_field(tar: bytes, name: bytes, size: int) -> bytes:
    """The tar with ``name``'s header size field set to ``size`` (its data left as it is)."""
    out, offset = bytearray(tar), 0
    while out[offset : offset + 512] != bytes(512):
        header = out[offset : offset + 512]
        typeflag, length = header[156:157], int(header[124:136].strip(b"\0 ") or b"0", 8)
        if header[:100].rstrip(b"\0") == name:
            out[offset + 124 : offset + 136] = b"%011o\0" % size
            out[offset + 148 : offset + 156] = b" " * 8
            out[offset + 148 : offset + 156] = b"%06o\0 " % sum(out[offset : offset + 512])
        offset += 512 + (0 if typeflag in b"123456" else -(-length // 512) * 512)
    return bytes(out)


def test_a_hardlink_counts_what_its_header_says_as_docker_does():
    tar = make_tar([entry("f", data=b"0123456789"), entry("hard", tarfile.LNKTYPE, linkname="f")])
    # No tar writer does this, but dockerd adds hdr.Size whatever the type: 10 + 1000.
    assert measure(_set_size_field(tar, b"hard", 1000), LAYER_TAR) == 1010


def test_a_pax_size_record_overrides_the_header():
    # How files past 8 GiB are written: the header's field cannot hold their size.
    tar = make_tar([entry("big", data=b"hello", pax_headers={"size": "5"})])
    assert measure(_set_size_field(tar, b"big", 0), LAYER_TAR) == 5


def test_a_sparse_file_counts_its_full_size(tmp_path):
    # GNU tar's PAX sparse format: 12 MiB with ten 600-byte runs of data takes 40 KiB of tar;
    # dockerd counted 12 MiB + 5000 for this layer.
    root = tmp_path / "root"
    root.mkdir()
    with open(root / "sparse", "wb") as fh:
        for i in range(10):
            fh.seek(i * 1024 * 1024)
            fh.write(b"data%d" % i * 100)
        fh.truncate(12 * 1024 * 1024)
    (root / "plain").write_bytes(b"x" * 5000)
    layer = tmp_path / "layer.tar"
    subprocess.run(
        ["tar", "--sparse", "--format=posix", "-C", root, "-cf", layer, "sparse", "plain"],
        check=True,
    )
    assert layer.stat().st_size < 100_000
    assert measure(layer.read_bytes(), LAYER_TAR) == 12 * 1024 * 1024 + 5000


def test_a_layer_of_gzip_members_one_after_another_counts_them_all():
    tar = make_tar(ROOTFS)
    layer = gzip.compress(tar[:4096]) + gzip.compress(tar[4096:])
    assert measure(layer) == ROOTFS_SIZE


def test_an_empty_layer_is_zero():
    assert measure(gzip.compress(make_tar([]))) == 0
    assert measure(make_tar([entry("etc/", tarfile.DIRTYPE)]), LAYER_TAR) == 0


def test_a_tar_without_its_end_blocks_still_counts():
    # Go's tar reader, and so dockerd, takes the end of the stream between entries as the end.
    tar = make_tar(ROOTFS)
    with tarfile.open(fileobj=io.BytesIO(tar)) as members:
        last = members.getmembers()[-1]
    end = last.offset_data + -(-last.size // 512) * 512
    assert set(tar[end:]) == {0}
    assert measure(tar[:end], LAYER_TAR) == ROOTFS_SIZE


def test_a_layer_inflating_a_thousandfold_is_read_in_constant_memory():
    size = 256 * 1024 * 1024
    raw = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w|") as tar,
    ):
        info = tarfile.TarInfo("zeros")
        info.size = size
        tar.addfile(info, _Zeros(size))
    digest = stored(raw.getvalue())
    assert len(raw.getvalue()) < size // 500

    tracemalloc.start()
    try:
        assert blob_unpacked_size(digest=digest, media_type=LAYER_GZIP) == size
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


class _Zeros(io.RawIOBase):
    def __init__(self, size):
        self.left = size

    def read(self, n=-1):
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return bytes(n)


# --- what cannot be measured: None and a log line ---


def _not_measured(caplog, data: bytes, media_type: str, reason: str):
    with caplog.at_level(logging.INFO, logger="hub.registry.layersize"):
        assert measure(data, media_type) is None
    assert f"unpacked size not measured: {reason}" in caplog.text


def test_a_zstd_layer_is_not_measured(caplog):
    _not_measured(caplog, b"\x28\xb5\x2f\xfd" + BYTES.randbytes(100), LAYER_ZSTD, "media type")
    _not_measured(caplog, b"\x28\xb5\x2f\xfd" + BYTES.randbytes(100), LAYER_TAR, "zstd-compressed")


def test_a_blob_of_another_media_type_is_not_measured(caplog):
    config = "application/vnd.oci.image.config.v1+json"
    _not_measured(caplog, b"{}", config, f"media type {config} is not a tar layer")


def test_random_bytes_are_not_a_tar(caplog):
    _not_measured(caplog, BYTES.randbytes(4096), LAYER_TAR, "not a tar (header checksum mismatch)")


def test_a_corrupt_gzip_stream_is_not_measured(caplog):
    layer = bytearray(gzip.compress(make_tar(ROOTFS), mtime=0))
    layer[len(layer) // 2] ^= 0xFF
    _not_measured(caplog, bytes(layer), LAYER_GZIP, "corrupt gzip stream")


def test_a_gzip_layer_whose_checksum_is_wrong_is_not_measured(caplog):
    layer = bytearray(gzip.compress(make_tar(ROOTFS), mtime=0))
    layer[-8] ^= 0xFF  # the CRC-32 of the tar, after all of it
    _not_measured(caplog, bytes(layer), LAYER_GZIP, "corrupt gzip stream (Error -3")


def test_a_truncated_gzip_stream_is_not_measured(caplog):
    layer = gzip.compress(make_tar(ROOTFS), mtime=0)
    _not_measured(caplog, layer[: len(layer) // 2], LAYER_GZIP, "truncated")


def test_a_tar_truncated_inside_a_file_is_not_measured(caplog):
    tar = make_tar(ROOTFS)
    _not_measured(caplog, tar[:2000], LAYER_TAR, "truncated tar")


def test_gzip_of_random_bytes_is_not_measured(caplog):
    _not_measured(caplog, gzip.compress(BYTES.randbytes(3000)), LAYER_GZIP, "not a tar")


def test_a_missing_blob_is_not_measured(caplog):
    with caplog.at_level(logging.INFO, logger="hub.registry.layersize"):
        assert blob_unpacked_size(digest="sha256:" + "0" * 64, media_type=LAYER_GZIP) is None
    assert "No such file" in caplog.text


def test_the_reader_keeps_at_most_one_chunk_of_inflated_bytes():
    # What bounds the memory: zlib hands out OUT_MAX bytes at a time, whatever the input.
    chunks = list(layersize._inflate([zlib.compress(bytes(10 * layersize.OUT_MAX), wbits=31)]))
    assert max(map(len, chunks)) == layersize.OUT_MAX
    assert sum(map(len, chunks)) == 10 * layersize.OUT_MAX


# --- the task: measures a pushed image's layers, once ---


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


def test_layers_measure_saves_each_layers_unpacked_size(alice):
    pushed = push_image("alice/app:v1")
    blobs = _layer_blobs(pushed)
    assert [b.unpacked_size for b in blobs] == [None, None]

    layers_measure(pushed.pk)

    for blob in blobs:
        blob.refresh_from_db()
        assert blob.unpacked_size == tarfile_sum(get_store().read(blob.digest))
    assert layersize.manifest_layers_measure(manifest_id=pushed.pk) == 0  # nothing left to do


def test_layers_measure_of_a_deleted_manifest_does_nothing(alice):
    pushed = push_image("alice/app:v1")
    pk = pushed.pk
    pushed.tags.all().delete()
    pushed.delete()
    layers_measure(pk)


def _layer_blobs(manifest) -> list[Blob]:
    import json

    digests = [layer["digest"] for layer in json.loads(bytes(manifest.content))["layers"]]
    found = {b.digest: b for b in Blob.objects.filter(digest__in=digests)}
    return [found[d] for d in digests]
