"""Pull through Wharf's pull-through cache against pulling from the upstream directly.

    .venv/bin/python bench/proxy.py [--rounds 4] [--size-mib 256] [--layers 4]
    .venv/bin/python bench/proxy.py --database-url postgres://postgres@127.0.0.1:5432/

Starts Wharf (as bench/registry.py does) and Debian's docker-registry as the upstream, and makes
the upstream a proxy namespace of Wharf (``refcache/``). Each round pushes a fresh random image
of gzip layers (made beforehand) to the upstream, then pulls it with skopeo three ways, each into
a fresh directory with a fresh HOME:

- direct: from the upstream itself;
- first: through Wharf while Wharf has none of it (Wharf fetches every blob from the upstream,
  streaming it to skopeo while it stores it);
- cached: through Wharf again (served from Wharf's store, the upstream not asked but for
  nothing: the tag is within WHARF_PROXY_TAG_TTL).

The order changes from round to round (direct, first, cached; then first, cached, direct), as
the one after a large write is slower. Prints the median seconds and the ratios to the direct
pull (targets: first ≤ 1.2, cached ≤ 1.0), and the CPU seconds Wharf's web processes spent on
each pull (a loaded machine blurs wall time more than it does CPU time).
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

from bench._common import both_registries, cpu_seconds, make_image, skopeo, web_pids  # noqa: E402

NAMESPACE = "refcache"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--wharf-dir", type=Path, default=BASE_DIR, help="the checkout to run")
    parser.add_argument("--database-url", help="a PostgreSQL server to make a scratch db on")
    args = parser.parse_args()

    with both_registries(args.wharf_dir, args.database_url) as (scratch, wharf, ref_host):
        wharf.shell(
            "from proxy.services import upstream_create;"
            f"upstream_create(name='reference', url='http://{ref_host}', namespace='{NAMESPACE}')"
        )
        run(args, scratch, wharf, ref_host)


def _pull(scratch: Path, source: str, creds: list[str]) -> float:
    home = Path(tempfile.mkdtemp(dir=scratch))
    dest = Path(tempfile.mkdtemp(dir=scratch))
    seconds = skopeo(
        ["copy", "--src-tls-verify=false", *creds, f"docker://{source}", f"dir:{dest}"], home
    )
    shutil.rmtree(dest)
    shutil.rmtree(home)
    return seconds


def run(args, scratch: Path, wharf, ref_host: str) -> None:
    load_before = os.getloadavg()[0]
    creds = ["--src-creds", f"{wharf.user}:{wharf.pat}"]
    times = {"direct": [], "first": [], "cached": []}
    cpu = {"direct": [], "first": [], "cached": []}
    web = web_pids(wharf.proc.pid)
    for round_no in range(1, args.rounds + 1):
        image = scratch / f"image{round_no}"
        make_image(image, args.size_mib, args.layers)
        name = f"bench/img{round_no}"
        skopeo(
            [
                "copy",
                "--dest-tls-verify=false",
                f"oci:{image}:v1",
                f"docker://{ref_host}/{name}:v1",
            ],
            Path(tempfile.mkdtemp(dir=scratch)),
        )
        shutil.rmtree(image)
        through = (f"{wharf.host}/{NAMESPACE}/{name}:v1", creds)
        sources = {"direct": (f"{ref_host}/{name}:v1", []), "first": through, "cached": through}
        order = ("direct", "first", "cached") if round_no % 2 else ("first", "cached", "direct")
        for key in order:
            before = cpu_seconds(web)
            times[key].append(_pull(scratch, *sources[key]))
            cpu[key].append(cpu_seconds(web) - before)
        print(
            f"round {round_no}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()),
            flush=True,
        )

    print(
        f"\n{args.size_mib} MiB, {args.layers} gzip layers, {args.rounds} rounds (median seconds;"
        f" {os.cpu_count()} CPUs, load average {load_before:.1f} before,"
        f" {os.getloadavg()[0]:.1f} after)"
    )
    direct_s = statistics.median(times["direct"])
    print(f"{'pull':28}{'seconds':>9}{'ratio':>8}{'wharf CPU s':>13}")
    for key, label in (
        ("direct", "direct from the upstream"),
        ("first", "first, through Wharf"),
        ("cached", "cached, from Wharf"),
    ):
        seconds = statistics.median(times[key])
        print(
            f"{label:28}{seconds:>9.2f}{seconds / direct_s:>8.2f}"
            f"{statistics.median(cpu[key]):>13.2f}"
        )


if __name__ == "__main__":
    main()
