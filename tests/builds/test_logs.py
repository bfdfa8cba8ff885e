"""Build output is sanitised and stored in order, in batches, before anyone is told of it."""

import pytest

from builds.logs import MAX_LINE, LogWriter, sanitize
from builds.models import Build
from hub.services import repository_get_or_create
from tests.factories import UserFactory


def test_sanitize_strips_nul_bytes_and_line_endings():
    assert sanitize("a\x00b\r\n") == "ab"


def test_sanitize_cuts_very_long_lines():
    text = sanitize("x" * (MAX_LINE + 500))
    assert text == "x" * MAX_LINE + " … (line cut)"


def test_sanitize_masks_secrets():
    assert sanitize("token=s3cr3t-value ok", ["s3cr3t-value"]) == "token=**** ok"


@pytest.fixture
def build(db):
    user = UserFactory(username="logger")
    repo = repository_get_or_create(namespace="logger", name="app", user=user)
    return Build.objects.create(
        repository=repo, source_url="https://example.test/r.git", source_ref="main"
    )


def test_lines_get_consecutive_seqs_and_step_progress(build):
    writer = LogWriter(build, secrets=["hunter2"])
    for text in ["STEP 1/3: FROM busybox", "password hunter2", "STEP 2/3: RUN true", "done"]:
        writer.line(text)
    writer.flush()
    rows = list(build.log_lines.values_list("seq", "text"))
    assert rows == [
        (1, "STEP 1/3: FROM busybox"),
        (2, "password ****"),
        (3, "STEP 2/3: RUN true"),
        (4, "done"),
    ]
    build.refresh_from_db()
    assert (build.last_seq, build.step, build.steps) == (4, 2, 3)


def test_a_second_writer_continues_the_sequence(build):
    first = LogWriter(build)
    first.line("one")
    first.flush()
    build.refresh_from_db()
    second = LogWriter(build)
    second.line("two")
    second.flush()
    assert list(build.log_lines.values_list("seq", flat=True)) == [1, 2]
