"""The same small Dockerfile built through Wharf (trigger → success) versus `buildah bud &&
buildah push` by hand; prints both medians and the ratio (target <= 1.3).

.venv/bin/python bench/build_overhead.py [--rounds 3]   (same as bench/builds.py overhead)
"""

import runpy
import sys
from pathlib import Path

if __name__ == "__main__":
    # Run bench/builds.py as a script: importing it as "builds" would shadow Wharf's builds app.
    sys.argv[1:1] = ["overhead"]
    runpy.run_path(str(Path(__file__).with_name("builds.py")), run_name="__main__")
