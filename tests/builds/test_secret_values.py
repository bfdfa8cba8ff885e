"""Secret build values reach RUN steps and nothing else (finding 12); public log lines show no
server internals (13); a line without an end is cut as it is read (8). Real buildah."""

import pytest

from builds import sandbox, services
from hub.registry import busybox
from tests.builds.support import log_text, make_git_repo, start, wait_final
from tests.builds.test_isolation import files_of

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not busybox.BUSYBOX.exists(), reason="needs Debian's busybox-static"),
]

SECRET = "npm_S3cr3tV4lue_9f8e7d6c"


def test_a_secret_value_is_mounted_for_run_and_never_logged_nor_kept(hub, repo, sources, tmp_path):
    services.secret_set(repository=repo, name="NPM_TOKEN", value=SECRET)
    dockerfile = (
        "FROM busybox\n"
        "RUN --mount=type=secret,id=NPM_TOKEN cat /run/secrets/NPM_TOKEN "
        "&& wc -c < /run/secrets/NPM_TOKEN > /secret-length\n"
    )
    build = wait_final(start(repo, make_git_repo(sources / "s", {"Dockerfile": dockerfile})))

    log = log_text(build)
    assert build.status == "success", log
    assert SECRET not in log and "****" in log  # the RUN step printed it: masked
    assert "--secret id=NPM_TOKEN" in log
    files = files_of(hub, "builder/app:latest", tmp_path, repo.namespace.owner)
    assert files["secret-length"].strip() == str(len(SECRET)).encode()  # it was really there
    assert not any(SECRET.encode() in content for content in files.values())
    assert not any(name.startswith("run/secrets") for name in files)


def test_public_lines_show_what_a_user_typed_and_no_server_paths(hub, repo, sources):
    dockerfile = 'FROM busybox\nARG GREETING\nRUN test -n "$GREETING"\n'
    build = wait_final(
        start(
            repo,
            make_git_repo(sources / "p", {"Dockerfile": dockerfile}),
            build_args={"GREETING": "value-for-writers"},
        )
    )
    assert build.status == "success", log_text(build)
    public = list(build.log_lines.filter(private=False).values_list("text", flat=True))
    private = list(build.log_lines.filter(private=True).values_list("text", flat=True))
    root = str(sandbox.current().root)
    assert not [line for line in public if root in line or "/work/build-" in line]
    assert not [line for line in public if "value-for-writers" in line]
    assert "$ buildah bud -f Dockerfile --build-arg GREETING ." in public
    assert any(line.startswith("$ git clone --depth 1 file://") for line in public)
    assert "$ buildah pull busybox" in public
    assert any("--build-arg GREETING=value-for-writers" in line for line in private)
    assert any(root in line for line in private)  # the full command, for those who push


def test_a_line_without_an_end_is_cut_while_it_is_read(hub, repo, sources):
    dockerfile = (
        "FROM busybox\n"
        "RUN head -c 50000000 /dev/zero | tr '\\0' a && echo && echo after-the-long-line\n"
    )
    build = wait_final(start(repo, make_git_repo(sources / "l", {"Dockerfile": dockerfile})))
    assert build.status == "success", log_text(build)
    texts = list(build.log_lines.order_by("seq").values_list("text", flat=True))
    long = [text for text in texts if text.startswith("aaaa")]
    assert len(long) == 1 and long[0].endswith(" … (line cut)") and len(long[0]) < 4100
    assert "after-the-long-line" in texts
