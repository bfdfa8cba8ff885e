"""Requests per second and latency of the registry's read path: Wharf against the reference.

    .venv/bin/python bench/registry_requests.py [--rounds 3] [--seconds 4] [--clients 16]
    .venv/bin/python bench/registry_requests.py --wharf-dir /tmp/wharf-base   # another checkout
    .venv/bin/python bench/registry_requests.py --database-url postgres://postgres@127.0.0.1:5432/
    WHARF_WEB_WORKERS=2 .venv/bin/python bench/registry_requests.py     # passed on to Wharf

Starts Wharf (`manage.py serve` of --wharf-dir, default this checkout, as `make run` does: a
scratch data dir with SQLite and a private Redis, or a scratch database on --database-url's
PostgreSQL server) and the reference registry (Debian's docker-registry, filesystem storage, no
auth) on loopback ports, pushes the same small image (a 1 MiB gzip layer of random data and a
config) to both with skopeo, then loads each row with `hey -z SECONDS -c CLIENTS`: Wharf, then
the reference, row after row, for --rounds rounds after a one-second warm-up. Wharf's requests
carry a pull token from /token (user bench, a personal access token); the reference's none.

Prints, per row, the medians over the rounds of requests/s, p50 and p99 (hey's, 0.1 ms steps),
the ratio of requests/s Wharf/reference and the count of non-200 responses and errors (warm-up
included; any makes the row worthless, so they are flagged and the exit status is 1). Then the RSS
summed over Wharf's web (uvicorn) processes: after start-up, before the rounds, the peak sampled
during them and at the end, to tell whether memory stays flat under load.
Needs hey and docker-registry: bash scripts/setup.sh bench.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench._common import (  # noqa: E402
    MANIFEST_ACCEPT,
    Wharf,
    basic,
    both_registries,
    make_image,
    manifest_digest,
    rss_mib,
    skopeo,
    web_pids,
)

REPO = "bench/small"
SCOPE = f"repository:{REPO}:pull"


@dataclass
class Row:
    name: str
    method: str
    path: str  # {manifest} and {layer} are the pushed image's digests
    wharf_only: bool = False
    auth: str = "bearer"  # Wharf's: "bearer" (pull token), "pat" (Basic user:PAT) or "none"


ROWS = [
    Row("HEAD manifest by tag", "HEAD", f"/v2/{REPO}/manifests/v1"),
    Row("GET manifest by tag", "GET", f"/v2/{REPO}/manifests/v1"),
    Row("GET manifest by digest", "GET", f"/v2/{REPO}/manifests/{{manifest}}"),
    Row("GET blob (1 MiB)", "GET", f"/v2/{REPO}/blobs/{{layer}}"),
    Row("GET /v2/", "GET", "/v2/"),
    Row("GET /token (PAT)", "GET", "/token?service={service}&scope=" + SCOPE, True, "pat"),
    Row("GET /token (anonymous)", "GET", "/token?service={service}&scope=" + SCOPE, True, "none"),
]


@dataclass
class Result:
    rps: float = 0.0
    p50: float = float("nan")  # ms
    p99: float = float("nan")
    bad: Counter = field(default_factory=Counter)  # non-200 status or error text -> count


def hey(url: str, headers: list[str], method: str, seconds: float, clients: int) -> Result:
    """One ``hey`` run, its summary parsed (its percentiles are exact, in 0.1 ms steps)."""
    cmd = ["hey", "-z", f"{seconds}s", "-c", str(clients), "-m", method]
    for header in headers:
        cmd += ["-H", header]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    result = Result()
    if match := re.search(r"Requests/sec:\s+([\d.]+)", out):
        result.rps = float(match[1])
    for pct, secs in re.findall(r"(\d+)% in ([\d.]+) secs", out):
        if pct in ("50", "99"):
            setattr(result, f"p{pct}", float(secs) * 1000)
    if result.p99 != result.p99 and (match := re.search(r"Slowest:\s+([\d.]+) secs", out)):
        result.p99 = float(match[1]) * 1000  # hey skips percentiles it has < 100 samples for
    for status, count in re.findall(r"\[(\d+)\]\s+(\d+) responses", out):
        if status != "200":
            result.bad[f"HTTP {status}"] += int(count)
    if "Error distribution:" in out:
        for count, error in re.findall(r"\[(\d+)\]\s+(.+)", out.split("Error distribution:")[1]):
            result.bad[error.strip()[:80]] += int(count)
    if result.rps == 0 and not result.bad:
        result.bad["no answer at all"] = 1
    return result


class RssSampler(threading.Thread):
    """The RSS summed over Wharf's web processes every half second; the peak and the last."""

    def __init__(self, serve_pid: int):
        super().__init__(daemon=True)
        self.serve_pid, self.peak, self.last, self.procs = serve_pid, 0.0, 0.0, 0
        self.done = threading.Event()

    def sample(self) -> float:
        pids = web_pids(self.serve_pid)
        self.procs, self.last = len(pids), rss_mib(pids)
        self.peak = max(self.peak, self.last)
        return self.last

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.sample()


def push(image: Path, host: str, creds: list[str], scratch: Path) -> None:
    home = Path(tempfile.mkdtemp(dir=scratch))
    skopeo(
        ["copy", "--dest-tls-verify=false", *creds, f"oci:{image}:v1",
         f"docker://{host}/{REPO}:v1"],
        home,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4, help="hey -z, per row and side")
    parser.add_argument("--clients", type=int, default=16, help="hey -c")
    parser.add_argument("--wharf-dir", type=Path, default=BASE_DIR, help="the checkout to run")
    parser.add_argument("--database-url", help="a PostgreSQL server to make a scratch db on")
    args = parser.parse_args()
    if shutil.which("hey") is None:
        raise SystemExit("hey is missing: bash scripts/setup.sh bench")

    with both_registries(args.wharf_dir, args.database_url) as (scratch, wharf, ref_host):
        sys.exit(run(args, scratch, wharf, ref_host))


def run(args, scratch: Path, wharf: Wharf, ref_host: str) -> int:
    sampler = RssSampler(wharf.proc.pid)
    rss_started = sampler.sample()
    manifest = make_image(scratch / "image", 1, 1, compressed=True)
    push(scratch / "image", wharf.host, ["--dest-creds", f"{wharf.user}:{wharf.pat}"], scratch)
    push(scratch / "image", ref_host, [], scratch)
    served = {manifest_digest(wharf.host, REPO, "v1", wharf.token(SCOPE))}
    served.add(manifest_digest(ref_host, REPO, "v1"))
    if served != {manifest["digest"]}:
        raise SystemExit(f"the registries serve {served}, not the pushed {manifest['digest']}")
    layer = _layer_digest(scratch / "image", manifest["digest"])
    wharf.token(SCOPE, anonymous=True)  # checks the pushed repository is public

    def request(row: Row, who: str) -> tuple[str, list[str]]:
        host = wharf.host if who == "wharf" else ref_host
        path = row.path.format(manifest=manifest["digest"], layer=layer, service=wharf.host)
        headers = [f"Accept: {MANIFEST_ACCEPT}"] if "/manifests/" in path else []
        if who == "wharf" and row.auth == "bearer":
            headers.append(f"Authorization: Bearer {wharf.token(SCOPE)}")  # fresh: tokens expire
        elif who == "wharf" and row.auth == "pat":
            headers.append(f"Authorization: {basic(wharf.user, wharf.pat)}")
        return f"http://{host}{path}", headers

    def once(row: Row, who: str, seconds: float) -> Result:
        return hey(*request(row, who), row.method, seconds, args.clients)

    def check(row: Row, who: str) -> None:
        """One request as hey will send it: 200, and manifests and blobs match their digests."""
        url, headers = request(row, who)
        req = urllib.request.Request(
            url, method=row.method, headers=dict(h.split(": ", 1) for h in headers)
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                body, status = response.read(), response.status
        except urllib.error.HTTPError as exc:
            body, status = b"", exc.code
        want = {"manifests": manifest["digest"], "blobs": layer}.get(url.split("/")[-2])
        got = "sha256:" + hashlib.sha256(body).hexdigest()
        if status != 200 or (row.method == "GET" and want and got != want):
            raise SystemExit(f"{who} {row.name}: HTTP {status}, body {got}, expected {want}")

    sides = {row.name: ["wharf"] if row.wharf_only else ["wharf", "ref"] for row in ROWS}
    bad = {(row.name, who): Counter() for row in ROWS for who in sides[row.name]}
    for row in ROWS:
        for who in sides[row.name]:
            check(row, who)
    load_before = os.getloadavg()[0]
    for row in ROWS:  # warm-up: first-request costs (imports, caches) out of round 1
        for who in sides[row.name]:
            bad[(row.name, who)].update(once(row, who, 1).bad)
    rss_before = sampler.sample()
    sampler.start()
    results = {key: [] for key in bad}
    for round_no in range(1, args.rounds + 1):
        for row in ROWS:
            line = []
            for who in sides[row.name]:
                result = once(row, who, args.seconds)
                results[(row.name, who)].append(result)
                bad[(row.name, who)].update(result.bad)
                line.append(f"{who} {result.rps:.0f}/s p50 {result.p50:.1f} p99 {result.p99:.1f}")
            print(f"round {round_no} {row.name:24} " + ", ".join(line), flush=True)
    sampler.done.set()
    sampler.join()
    rss_end = sampler.sample()

    print(
        f"\n{args.rounds} rounds of {args.seconds:g} s, {args.clients} clients, {os.cpu_count()}"
        f" CPUs (load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after);"
        " medians; ratio = wharf rps / ref rps; latencies in ms"
    )
    print(
        f"{'row':24}{'wharf rps':>10}{'ref rps':>9}{'ratio':>7}"
        f"{'wharf p50/p99':>16}{'ref p50/p99':>15}  non-200 w/r"
    )
    for row in ROWS:
        w = _medians(results[(row.name, "wharf")])
        ref = None if row.wharf_only else _medians(results[(row.name, "ref")])
        w_bad = sum(bad[(row.name, "wharf")].values())
        ref_bad = "-" if ref is None else sum(bad[(row.name, "ref")].values())
        ratio = f"{w[0] / ref[0]:.2f}" if ref and ref[0] else "-"
        flag = "  <-- NOT ALL 200" if w_bad or ref_bad not in (0, "-") else ""
        print(
            f"{row.name:24}{w[0]:>10.0f}{f'{ref[0]:.0f}' if ref else '-':>9}{ratio:>7}"
            f"{_lat(w):>16}{_lat(ref):>15}  {w_bad}/{ref_bad}{flag}"
        )
    print(
        f"wharf web RSS ({sampler.procs} processes): {rss_started:.0f} MiB after start-up,"
        f" {rss_before:.0f} before the rounds, peak {sampler.peak:.0f} during them,"
        f" {rss_end:.0f} at the end"
    )
    failures = {key: counts for key, counts in bad.items() if counts}
    for (name, who), counts in failures.items():
        print(f"!!! {who} {name}: " + ", ".join(f"{n}× {what}" for what, n in counts.items()))
    return 1 if failures else 0


def _layer_digest(image: Path, digest: str) -> str:
    blob = image / "blobs" / "sha256" / digest.removeprefix("sha256:")
    return json.loads(blob.read_text())["layers"][0]["digest"]


def _medians(results: list[Result]) -> tuple[float, float, float]:
    return tuple(statistics.median(getattr(r, f) for r in results) for f in ("rps", "p50", "p99"))


def _lat(medians: tuple[float, float, float] | None) -> str:
    return "-" if medians is None else f"{medians[1]:.1f}/{medians[2]:.1f}"


if __name__ == "__main__":
    main()
