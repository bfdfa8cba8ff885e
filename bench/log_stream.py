"""A build whose RUN step prints 100,000 lines, watched by a websocket client: prints lines/s and
the p50/p95 latency from the worker reading a line to the client receiving it (target p50 < 100 ms).

.venv/bin/python bench/log_stream.py [--lines 100000]   (same as bench/builds.py logs)
"""

import runpy
import sys
from pathlib import Path

if __name__ == "__main__":
    # Run bench/builds.py as a script: importing it as "builds" would shadow Wharf's builds app.
    sys.argv[1:1] = ["logs"]
    runpy.run_path(str(Path(__file__).with_name("builds.py")), run_name="__main__")
