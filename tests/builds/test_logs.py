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


def test_sanitize_masks_a_password_written_into_any_url():
    line = "fatal: unable to access 'https://bot:ghp_abc123@git.example/x.git/': 403"
    assert sanitize(line) == "fatal: unable to access 'https://bot:****@git.example/x.git/': 403"


def test_every_line_of_a_multi_line_secret_is_masked(build):
    key = "-----BEGIN KEY-----\nAAAAB3NzaC1yc2E\n-----END KEY-----"
    writer = LogWriter(build, secrets=[key])
    for line in key.splitlines():
        writer.line(line)
    writer.flush()
    assert set(build.log_lines.values_list("text", flat=True)) == {"****"}


def test_public_lines_have_server_paths_replaced_and_private_ones_keep_them(build):
    writer = LogWriter(build)
    writer.add_redaction("/var/lib/wharf/builds-1/work/build-9-x/src", "<repository>")
    writer.line('error: no such file "/var/lib/wharf/builds-1/work/build-9-x/src/a.txt"')
    writer.line("$ buildah --root /var/lib/wharf/builds-1/work/build-9-x/src bud", private=True)
    writer.flush()
    rows = list(build.log_lines.values_list("text", "private"))
    assert rows == [
        ('error: no such file "<repository>/a.txt"', False),
        ("$ buildah --root /var/lib/wharf/builds-1/work/build-9-x/src bud", True),
    ]


def test_a_channel_layer_that_is_away_does_not_stop_the_build(build, settings):
    """Viewers are only told; the record is the database (Redis restarting, say)."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "hub.channel_layer.RedisChannelLayer",
            "CONFIG": {"hosts": ["unix:///nonexistent/wharf-test.sock"], "prefix": "t"},
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        writer = LogWriter(build)
        writer.line("still stored")
        writer.flush()
    finally:
        channel_layers.backends.clear()
    assert list(build.log_lines.values_list("text", flat=True)) == ["still stored"]


def test_the_splitter_cuts_an_endless_line_in_bounded_memory():
    from builds.processes import CUT, LineSplitter

    splitter = LineSplitter(limit=100)
    lines = []
    for _ in range(10_000):  # 10 MB of one line, 1 KiB at a time
        lines += splitter.feed(b"a" * 1024)
        assert splitter.size <= 100
    lines += splitter.feed(b"\nnext line\nlast")
    lines += splitter.finish()
    assert lines == ["a" * 100 + CUT, "next line", "last"]


def test_a_secret_printed_encoded_is_masked_too(build):
    import base64

    secret = "SuperSecretValue42"
    writer = LogWriter(build, secrets=[secret])
    for shown in (
        base64.b64encode(secret.encode()).decode(),
        base64.urlsafe_b64encode(secret.encode()).decode().rstrip("="),
        secret.encode().hex(),
        "Super%53ecretValue42".replace("%53", "S"),
    ):
        writer.line(f"Authorization: Basic {shown}")
    writer.flush()
    assert set(build.log_lines.values_list("text", flat=True)) == {"Authorization: Basic ****"}


def test_a_build_that_prints_without_end_stops_filling_the_log(build, settings):
    """Past its limit a build's output is counted for progress, not stored (finding 3)."""
    settings.WHARF_BUILD_LOG_MAX_LINES = 3
    writer = LogWriter(build)
    for i in range(1, 1001):
        writer.output(f"STEP {i}/1000: RUN true" if i % 100 == 0 else f"line {i}")
    writer.line("Pushed sha256:abc")  # Wharf's own lines still go in
    writer.flush()
    texts = list(build.log_lines.order_by("seq").values_list("text", flat=True))
    assert texts[:3] == ["line 1", "line 2", "line 3"]
    assert texts[3].startswith("… the log stops here: the build printed more than 3 lines")
    assert texts[4:] == ["Pushed sha256:abc"]
    build.refresh_from_db()
    assert (build.step, build.steps) == (1000, 1000)
