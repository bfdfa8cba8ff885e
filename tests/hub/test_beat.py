"""Celery beat runs once per deployment: in `make run`'s worker by default, nowhere on a host
started with WHARF_BEAT=0 (another host, or Compose's `beat` service, runs it)."""

import shutil
import tempfile
from pathlib import Path

import pytest

from hub.management.commands.serve import worker_command
from tests.hub.serving import descendants, start_hub, wait_for


def test_the_worker_runs_beat_only_when_asked(settings):
    with_beat = worker_command(beat=True)
    without = worker_command(beat=False)

    assert with_beat[with_beat.index("--beat") + 1 :][:2] == [
        "--schedule",
        str(settings.DATA_DIR / "celerybeat-schedule"),
    ]
    assert "--beat" not in without and "--schedule" not in without
    assert without == with_beat[: len(without)]  # the same worker otherwise


def _cmdlines(pid: int) -> list[str]:
    found = []
    for child in descendants(pid):
        try:
            found.append(Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except FileNotFoundError:
            continue
    return found


@pytest.mark.integration
@pytest.mark.parametrize(
    ("setting", "banner", "runs_beat"),
    [
        (
            "",
            "  beat:   in the worker (periodic gc, build reaper); WHARF_BEAT=0 on every other",
            True,
        ),
        (
            "0",
            "  beat:   off here (WHARF_BEAT=0): one other host runs it, or `celery -A hub",
            False,
        ),
    ],
)
def test_serve_runs_beat_in_its_worker_unless_told_not_to(setting, banner, runs_beat):
    scratch = Path(tempfile.mkdtemp(prefix="wharf-beat-"))
    data = scratch / "data"
    hub = start_hub(data, WHARF_BEAT=setting)
    try:
        assert banner in hub.output()
        workers = [line for line in _cmdlines(hub.proc.pid) if " -A hub worker " in line]
        assert workers and all(("--beat" in line) == runs_beat for line in workers)
        schedule = data / "celerybeat-schedule"
        if runs_beat:  # beat keeps when each task last ran there
            wait_for("beat's schedule file", lambda: list(data.glob("celerybeat-schedule*")))
        else:
            assert not list(data.glob("celerybeat-schedule*")), schedule
    finally:
        hub.stop()
        shutil.rmtree(scratch, ignore_errors=True)
