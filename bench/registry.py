"""Push and pull a 256 MiB, 4-layer image with skopeo: Wharf against the reference registry.

    .venv/bin/python bench/registry.py [--rounds 6] [--size-mib 256] [--layers 4]
    .venv/bin/python bench/registry.py --rounds 1 --size-mib 1024 --layers 1   # memory check
    .venv/bin/python bench/registry.py --uncompressed      # plain tar layers, gzipped by skopeo
    .venv/bin/python bench/registry.py --wharf-dir /tmp/wharf-base   # another checkout (before)
    .venv/bin/python bench/registry.py --database-url postgres://postgres@127.0.0.1:5432/
    .venv/bin/python bench/registry.py --storage s3        # and both registries on S3 (moto)

Starts Wharf (`manage.py serve` of --wharf-dir, default this checkout; SQLite and a private
Redis in a scratch data dir, or a scratch database on --database-url's PostgreSQL server) and the
reference registry (Debian's docker-registry, filesystem storage) on loopback ports, then for each
round makes a fresh random image and pushes it to both, alternately, then pulls it from both.

The layers are gzipped beforehand (random data, so gzip does not shrink them): skopeo sends them
as they are, the registries' work is measured rather than skopeo's compression, and both sides
get the same blobs (checked: both serve the manifest digest of the image on disk). With
--uncompressed the layers are plain tars that skopeo gzips while pushing, as before.
Prints the median seconds, the ratio Wharf/reference and the peak RSS of Wharf's web processes.

With --storage s3 the same round also goes through both registries on S3 — one moto server on a
loopback port (bench/_stores.py) — Wharf once streaming blobs and once answering blob GETs with
a 307 to a presigned URL (WHARF_S3_REDIRECT=1; the reference does that by default); the buckets
are emptied after each round, as moto holds objects in memory.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench._common import make_image, rss_mib, skopeo, web_pids  # noqa: E402
from bench._stores import registries  # noqa: E402

# What each Wharf is compared with: the reference registry on the same store.
YARDSTICK = {
    "wharf": "reference",
    "wharf-s3": "reference-s3",
    "wharf-s3-redirect": "reference-s3",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Even, so each side goes first as often: the one after a large write is slower.
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument(
        "--uncompressed", action="store_true", help="plain tar layers, gzipped by skopeo"
    )
    parser.add_argument("--wharf-dir", type=Path, default=BASE_DIR, help="the checkout to run")
    parser.add_argument("--database-url", help="a PostgreSQL server to make a scratch db on")
    parser.add_argument(
        "--storage",
        choices=["filesystem", "s3"],
        default="filesystem",
        help="s3: also both registries on S3 (moto on a loopback port)",
    )
    args = parser.parse_args()

    with registries(args.wharf_dir, args.database_url, args.storage) as (
        scratch,
        targets,
        empty_buckets,
    ):
        run(args, scratch, targets, empty_buckets)


def run(args, scratch: Path, targets, empty_buckets) -> None:
    wharfs = {t.name: web_pids(t.wharf.proc.pid) for t in targets if t.wharf}
    rss_before = {name: rss_mib(pids) for name, pids in wharfs.items()}
    load_before = os.getloadavg()[0]
    times = {(t.name, op): [] for t in targets for op in ("push", "pull")}
    for round_no in range(1, args.rounds + 1):
        image = scratch / f"image{round_no}"
        manifest = make_image(image, args.size_mib, args.layers, compressed=not args.uncompressed)
        name = f"bench/img{round_no}"
        # Each goes first as often as the others: the one after a large write is slower.
        shift = (round_no - 1) % len(targets)
        order = targets[shift:] + targets[:shift]
        for target in order:
            home = Path(tempfile.mkdtemp(dir=scratch))
            times[(target.name, "push")].append(
                skopeo(
                    ["copy", "--dest-tls-verify=false", *target.push_creds(),
                     f"oci:{image}:v1", f"docker://{target.host}/{name}:v1"],
                    home,
                )
            )  # fmt: skip
        pushed = {t.name: t.digest(name, "v1") for t in targets}
        if not args.uncompressed and set(pushed.values()) != {manifest["digest"]}:
            raise SystemExit(
                f"skopeo changed the image: {manifest['digest']} on disk, pushed {pushed}"
            )
        if len(set(pushed.values())) > 1:
            print(f"warning: the registries got different images: {pushed}")
        if round_no == 1:
            print(
                "blob GET answered: "
                + ", ".join(f"{t.name} {t.blob_status(name, 'v1')}" for t in targets)
            )
        for target in order:
            home = Path(tempfile.mkdtemp(dir=scratch))
            dest = scratch / f"{target.name}-pull{round_no}"
            times[(target.name, "pull")].append(
                skopeo(
                    ["copy", "--src-tls-verify=false", *target.pull_creds(),
                     f"docker://{target.host}/{name}:v1", f"oci:{dest}:v1"],
                    home,
                )
            )  # fmt: skip
            shutil.rmtree(dest)
        shutil.rmtree(image)
        empty_buckets()
        print(
            f"round {round_no}: "
            + ", ".join(f"{who} {op} {times[(who, op)][-1]:.2f}s" for who, op in times),
            flush=True,
        )

    layers = "plain tar layers, gzipped by skopeo" if args.uncompressed else "gzip layers"
    print(
        f"\n{args.size_mib} MiB, {args.layers} {layers}, {args.rounds} rounds (median seconds;"
        f" {os.cpu_count()} CPUs, load average {load_before:.1f} before, {os.getloadavg()[0]:.1f}"
        " after)"
    )
    median = {key: statistics.median(values) for key, values in times.items()}
    names = [t.name for t in targets]
    width = max(len(n) for n in names) + 2
    print(f"{'':8}" + "".join(f"{n:>{width}}" for n in names))
    for op in ("push", "pull"):
        print(f"{op:8}" + "".join(f"{median[(n, op)]:>{width}.2f}" for n in names))
    print("ratios:")
    pairs = [*YARDSTICK.items(), ("wharf-s3", "wharf"), ("wharf-s3-redirect", "wharf")]
    for mine, theirs in pairs:
        if mine in names:
            print(
                f"  {mine}/{theirs}: "
                + ", ".join(f"{op} {median[(mine, op)] / median[(theirs, op)]:.2f}"
                            for op in ("push", "pull"))
            )  # fmt: skip
    for target in targets:
        if target.wharf:
            web = web_pids(target.wharf.proc.pid)
            print(
                f"{target.name} web peak RSS ({len(web)} processes, sum of each one's peak):"
                f" {rss_mib(web, 'VmHWM'):.0f} MiB (at start {rss_before[target.name]:.0f} MiB)"
            )


if __name__ == "__main__":
    main()
