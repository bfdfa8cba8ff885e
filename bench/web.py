"""Latency of Wharf's pages and API against a running server: p50/p95/max per path.

    .venv/bin/python manage.py seed_demo --repos 100000      # once, on the server's database
    .venv/bin/python bench/web.py --url http://localhost:8000 -n 200
    .venv/bin/python bench/web.py -n 200 / /healthz /login/  # any paths

Sequential requests over one keep-alive connection per path, after a short warm-up, so the
numbers are the server's time per request rather than the client's connection set-up.
"""

import argparse
import http.client
import statistics
import time
from urllib.parse import urlsplit

# What issue 4 targets (seed_demo data): search < 50 ms and a repository page < 30 ms at p50.
DEFAULT_PATHS = [
    "/search/?q=nginx",
    "/search/?q=swift+cache&ordering=stars",
    "/explore/",
    "/r/library/nginx/",
    "/r/library/nginx/tags/",
    "/api/v2/repositories/library/nginx/tags/",
    "/api/v2/search/repositories/?query=redis",
    "/v1/search?q=proxy",
]


def measure(url: str, path: str, count: int, warmup: int) -> list[float]:
    parts = urlsplit(url)
    conn_cls = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    conn = conn_cls(parts.hostname, parts.port, timeout=30)
    timings = []
    for i in range(warmup + count):
        start = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - start
        if response.status >= 500:
            raise SystemExit(f"{path}: HTTP {response.status}")
        if i >= warmup:
            timings.append(elapsed * 1000)
    conn.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8000")
    parser.add_argument("-n", "--count", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    args = parser.parse_args()
    print(f"{'path':<28}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for path in args.paths:
        ms = sorted(measure(args.url, path, args.count, args.warmup))
        p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
        print(f"{path:<28}{len(ms):>6}{statistics.median(ms):>10.2f}{p95:>10.2f}{ms[-1]:>10.2f}")


if __name__ == "__main__":
    main()
