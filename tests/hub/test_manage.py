import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def test_bad_setting_is_one_line_from_manage_py_with_exit_code_2(tmp_path):
    env = {**os.environ, "WHARF_DATA_DIR": str(tmp_path), "PORT": "abc"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == "wharf: configuration error: PORT must be a whole number, got 'abc'\n"
