"""`make test`: run the whole suite with real Redis, failing on "no tests collected".

When REDIS_URL is unset a private redis-server is started on a socket in a scratch directory and
stopped afterwards, so the suite never depends on (or disturbs) a Redis it did not start.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from hub.procs import start_private_redis, stop  # noqa: E402

NO_TESTS_COLLECTED = 5


def main(argv: list[str]) -> int:
    os.chdir(BASE_DIR)
    os.environ.setdefault("WHARF_DATA_DIR", str(BASE_DIR / "var" / "test"))
    Path(os.environ["WHARF_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    redis_proc = None
    scratch = None
    if not os.environ.get("REDIS_URL"):
        # Short path: Unix socket paths are limited to ~107 bytes.
        scratch = tempfile.TemporaryDirectory(prefix="wharf-redis-")
        redis_proc = start_private_redis(Path(scratch.name))
        os.environ["REDIS_URL"] = f"unix://{scratch.name}/redis.sock"
        print(f"runtests: private redis-server at {os.environ['REDIS_URL']}", flush=True)
    print(
        f"runtests: database {os.environ.get('DATABASE_URL') or 'SQLite (default)'}, "
        f"redis {os.environ['REDIS_URL']}",
        flush=True,
    )
    try:
        code = subprocess.call([sys.executable, "-m", "pytest", *argv])
    finally:
        if redis_proc is not None:
            stop([redis_proc])
        if scratch is not None:
            scratch.cleanup()
    if code == NO_TESTS_COLLECTED:
        print("runtests: pytest collected no tests; that is a failure here.", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
