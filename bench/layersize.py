"""How fast Wharf measures a layer's unpacked size (hub/registry/layersize.py), against Python's
own tarfile streaming the same blob: prints MB/s for a random gzip layer (256 MiB of random
files: gzip stores them, so this is the parsing and checksum cost) and, with --tree, for a gzip
of a real directory (default /usr/share: compressible files, many of them; inflating dominates).

.venv/bin/python bench/layersize.py [--size-mib 256] [--rounds 3] [--tree /usr/share]
"""

import argparse
import gzip
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")

import django  # noqa: E402

django.setup()

from hub.registry import layersize  # noqa: E402
from hub.registry.ocilayout import LAYER_GZIP  # noqa: E402

MiB = 1024 * 1024


def random_layer(path: Path, size_mib: int) -> int:
    """Four big files and 256 files of 64 KiB, random bytes, gzip -1; returns the unpacked size."""
    small = 256 * 64 * 1024
    big = (size_mib * MiB - small) // 4
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as gz:
        with tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for i, size in [(i, big) for i in range(4)] + [(i, 64 * 1024) for i in range(4, 260)]:
                info = tarfile.TarInfo(f"data/{i}.bin")
                info.size = size
                tar.addfile(info, io.BytesIO(os.urandom(size)))
    return 4 * big + small


def tree_layer(path: Path, tree: str) -> None:
    with open(path, "wb") as out:
        tar = subprocess.Popen(["tar", "-C", tree, "-cf", "-", "."], stdout=subprocess.PIPE)
        subprocess.run(["gzip", "-6"], stdin=tar.stdout, stdout=out, check=True)
        tar.wait()


def wharf(path: Path) -> int:
    with open(path, "rb") as fh:
        return layersize.unpacked_size(fh, LAYER_GZIP)


def python_tarfile(path: Path) -> int:
    with open(path, "rb") as fh, tarfile.open(fileobj=fh, mode="r|*") as tar:
        return sum(member.size for member in tar)


def report(name: str, path: Path, rounds: int) -> None:
    compressed = path.stat().st_size
    for label, measure in (("wharf (zlib + own headers)", wharf), ("tarfile r|*", python_tarfile)):
        best, size = float("inf"), 0
        for _ in range(rounds):
            started = time.perf_counter()
            size = measure(path)
            best = min(best, time.perf_counter() - started)
        print(
            f"{name}: {label:27s} {size / MiB:8.1f} MiB unpacked in {best:6.2f} s: "
            f"{size / 1e6 / best:6.0f} MB/s unpacked, {compressed / 1e6 / best:6.0f} MB/s of gzip"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tree", help="also a gzip of this directory, e.g. /usr/share")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wharf-bench-layersize-") as scratch:
        path = Path(scratch) / "random.tar.gz"
        random_layer(path, args.size_mib)
        report(f"random {args.size_mib} MiB", path, args.rounds)
        if args.tree:
            path.unlink()
            path = Path(scratch) / "tree.tar.gz"
            tree_layer(path, args.tree)
            report(args.tree, path, args.rounds)


if __name__ == "__main__":
    main()
