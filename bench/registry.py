"""Push and pull a 256 MiB, 4-layer image with skopeo: Wharf against the reference registry.

    .venv/bin/python bench/registry.py [--rounds 6] [--size-mib 256] [--layers 4]
    .venv/bin/python bench/registry.py --rounds 1 --size-mib 1024 --layers 1   # memory check
    .venv/bin/python bench/registry.py --uncompressed      # plain tar layers, gzipped by skopeo
    .venv/bin/python bench/registry.py --wharf-dir /tmp/wharf-base   # another checkout (before)
    .venv/bin/python bench/registry.py --database-url postgres://postgres@127.0.0.1:5432/

Starts Wharf (`manage.py serve` of --wharf-dir, default this checkout; SQLite and a private
Redis in a scratch data dir, or a scratch database on --database-url's PostgreSQL server) and the
reference registry (Debian's docker-registry, filesystem storage) on loopback ports, then for each
round makes a fresh random image and pushes it to both, alternately, then pulls it from both.

The layers are gzipped beforehand (random data, so gzip does not shrink them): skopeo sends them
as they are, the registries' work is measured rather than skopeo's compression, and both sides
get the same blobs (checked: both serve the manifest digest of the image on disk). With
--uncompressed the layers are plain tars that skopeo gzips while pushing, as before.
Prints the median seconds, the ratio Wharf/reference and the peak RSS of Wharf's web processes.
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

from bench._common import (  # noqa: E402
    both_registries,
    make_image,
    manifest_digest,
    rss_mib,
    skopeo,
    web_pids,
)


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
    args = parser.parse_args()

    with both_registries(args.wharf_dir, args.database_url) as (scratch, wharf, ref_host):
        run(args, scratch, wharf, ref_host)


def run(args, scratch: Path, wharf, ref_host: str) -> None:
    web = web_pids(wharf.proc.pid)
    rss_before = rss_mib(web)
    load_before = os.getloadavg()[0]
    targets = {
        "wharf": (wharf.host, ["--dest-creds", f"{wharf.user}:{wharf.pat}"]),
        "reference": (ref_host, []),
    }
    pull_creds = {"wharf": ["--src-creds", f"{wharf.user}:{wharf.pat}"], "reference": []}
    times = {(who, op): [] for who in targets for op in ("push", "pull")}
    for round_no in range(1, args.rounds + 1):
        image = scratch / f"image{round_no}"
        manifest = make_image(image, args.size_mib, args.layers, compressed=not args.uncompressed)
        name = f"bench/img{round_no}"
        order = ["wharf", "reference"] if round_no % 2 else ["reference", "wharf"]
        for who in order:
            host, push_creds = targets[who]
            home = Path(tempfile.mkdtemp(dir=scratch))
            times[(who, "push")].append(
                skopeo(
                    ["copy", "--dest-tls-verify=false", *push_creds,
                     f"oci:{image}:v1", f"docker://{host}/{name}:v1"],
                    home,
                )
            )  # fmt: skip
        token = wharf.token(f"repository:{name}:pull")
        pushed = {
            "wharf": manifest_digest(wharf.host, name, "v1", token),
            "reference": manifest_digest(ref_host, name, "v1"),
        }
        if not args.uncompressed and set(pushed.values()) != {manifest["digest"]}:
            raise SystemExit(
                f"skopeo changed the image: {manifest['digest']} on disk, pushed {pushed}"
            )
        if pushed["wharf"] != pushed["reference"]:
            print(f"warning: the two registries got different images: {pushed}")
        for who in order:
            host, _ = targets[who]
            home = Path(tempfile.mkdtemp(dir=scratch))
            times[(who, "pull")].append(
                skopeo(
                    ["copy", "--src-tls-verify=false", *pull_creds[who],
                     f"docker://{host}/{name}:v1",
                     f"oci:{scratch / f'{who}-pull{round_no}'}:v1"],
                    home,
                )
            )  # fmt: skip
            shutil.rmtree(scratch / f"{who}-pull{round_no}")
        shutil.rmtree(image)
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
    print(f"{'':8}{'wharf':>10}{'reference':>12}{'ratio':>8}")
    for op in ("push", "pull"):
        wharf_s = statistics.median(times[("wharf", op)])
        ref_s = statistics.median(times[("reference", op)])
        print(f"{op:8}{wharf_s:>10.2f}{ref_s:>12.2f}{wharf_s / ref_s:>8.2f}")
    web = web_pids(wharf.proc.pid)
    print(
        f"wharf web peak RSS ({len(web)} processes, sum of each one's peak):"
        f" {rss_mib(web, 'VmHWM'):.0f} MiB (at start {rss_before:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
