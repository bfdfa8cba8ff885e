"""Latency of Wharf's pages and API against a running server: p50/p95/max per path.

    .venv/bin/python manage.py seed_demo --repos 100000      # once, on the server's database
    .venv/bin/python bench/web.py --seed-tags 5000           # once: tagbench/many-tags, 5,000 tags
    .venv/bin/python bench/web.py --url http://localhost:8000 -n 200
    .venv/bin/python bench/web.py -n 200 / /healthz /login/  # any paths

Sequential requests over one keep-alive connection per path, after a short warm-up, so the
numbers are the server's time per request rather than the client's connection set-up.

``--seed-tags N`` writes into the database this process's settings name, so give it the
server's ``DATABASE_URL`` (and ``WHARF_DATA_DIR``). On PostgreSQL, for example:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/wharf_bench WHARF_DATA_DIR=/tmp/wb
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo --repos 100000
    .venv/bin/python bench/web.py --seed-tags 5000
    PORT=8000 .venv/bin/python -m hub.webserver &              # or make run
    .venv/bin/python bench/web.py --url http://localhost:8000
"""

import argparse
import http.client
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

# The repository --seed-tags fills.
TAG_BENCH = ("tagbench", "many-tags")
# What issue 4 targets (seed_demo data): search < 50 ms and a repository page < 30 ms at p50;
# issue 14: the Tags tab of a repository with 5,000 tags (--seed-tags) < 30 ms at p50.
DEFAULT_PATHS = [
    "/search/?q=nginx",
    "/search/?q=swift+cache&ordering=stars",
    "/explore/",
    "/r/library/nginx/",
    "/r/library/nginx/tags/",
    "/r/tagbench/many-tags/tags/",
    "/r/tagbench/many-tags/tags/?ordering=name&page=200",
    "/r/tagbench/many-tags/tags/?name=v0012",
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
        if response.status >= 400:
            hint = " (seed it: --seed-tags 5000)" if path.startswith("/r/tagbench/") else ""
            raise SystemExit(f"{path}: HTTP {response.status}{hint}")
        if i >= warmup:
            timings.append(elapsed * 1000)
    conn.close()
    return timings


def seed_tags(count: int) -> None:
    """tagbench/many-tags with ``count`` tags (every fifth a two-platform index), bulk-inserted
    as tests/hub/test_tags_listing.py seeds them; nothing when it has them already."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
    import django

    django.setup()
    from django.db import transaction

    from accounts.models import User
    from hub.models import ManifestChild, Namespace, Repository
    from tests.hub.tagseed import seed_tags as bulk_seed

    owner_name, repo_name = TAG_BENCH
    with transaction.atomic():
        owner, _ = User.objects.get_or_create(
            username=owner_name, defaults={"email": f"{owner_name}@example.test"}
        )
        namespace, _ = Namespace.objects.get_or_create(name=owner_name, defaults={"owner": owner})
        repo, _ = Repository.objects.get_or_create(namespace=namespace, name=repo_name)
        have = repo.tags.count()
        if have >= count:
            print(f"{owner_name}/{repo_name} has {have} tags already")
            return
        # A partial seed from an interrupted run: index entries first, they protect children.
        ManifestChild.objects.filter(parent__repository=repo).delete()
        repo.tags.all().delete()
        repo.manifests.all().delete()
        started = time.perf_counter()
        bulk_seed(repo, count)
    print(
        f"seeded {count} tags into {owner_name}/{repo_name} in {time.perf_counter() - started:.1f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8000")
    parser.add_argument("-n", "--count", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--seed-tags",
        type=int,
        metavar="N",
        help="give tagbench/many-tags N tags in this process's database, then stop",
    )
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    args = parser.parse_args()
    if args.seed_tags:
        seed_tags(args.seed_tags)
        return
    width = max(28, *(len(path) + 2 for path in args.paths))
    print(f"{'path':<{width}}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for path in args.paths:
        ms = sorted(measure(args.url, path, args.count, args.warmup))
        p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
        p50 = statistics.median(ms)
        print(f"{path:<{width}}{len(ms):>6}{p50:>10.2f}{p95:>10.2f}{ms[-1]:>10.2f}")


if __name__ == "__main__":
    main()
