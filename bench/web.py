"""Latency of Wharf's pages against a running server: p50/p95/max per path.

    .venv/bin/python bench/web.py --url http://localhost:8000 -n 200 / /healthz /login/

Sequential requests over one keep-alive connection per path, after a short warm-up, so the
numbers are the server's time per request rather than the client's connection set-up.
"""

import argparse
import http.client
import statistics
import time
from urllib.parse import urlsplit


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
    parser.add_argument("paths", nargs="*", default=["/", "/healthz", "/login/", "/signup/"])
    args = parser.parse_args()
    print(f"{'path':<28}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for path in args.paths:
        ms = sorted(measure(args.url, path, args.count, args.warmup))
        p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
        print(f"{path:<28}{len(ms):>6}{statistics.median(ms):>10.2f}{p95:>10.2f}{ms[-1]:>10.2f}")


if __name__ == "__main__":
    main()
