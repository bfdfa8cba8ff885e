"""Build sources end to end: a private git host's credentials never shown (finding 3), a git
server that never answers (9), and the addresses a build may not be pointed at (10)."""

import socket
import threading

import pytest

from builds import services
from builds.models import Build
from hub.registry import busybox
from tests.builds.support import (
    GitHttpServer,
    bare_repo,
    log_text,
    make_git_repo,
    start,
    wait_final,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not busybox.BUSYBOX.exists(), reason="needs Debian's busybox-static"),
]

TOKEN = "glpat-" + "Q9" * 12


@pytest.fixture
def git_host(sources):
    made = make_git_repo(sources / "work", {"Dockerfile": "FROM busybox\nRUN echo cloned-ok\n"})
    bare_repo(made, sources / "served", "app.git")
    server = GitHttpServer(sources / "served", "deploy", TOKEN)
    yield server
    server.close()


def everything_shown(build: Build) -> str:
    """Every line, private ones included, and every field of the build."""
    build.refresh_from_db()
    fields = " ".join(str(getattr(build, f.attname)) for f in Build._meta.fields)
    lines = "\n".join(build.log_lines.values_list("text", flat=True))
    return f"{fields}\n{lines}"


def test_a_private_https_source_builds_with_its_token_never_shown(hub, repo, git_host):
    services.settings_source_update(repository=repo, source_url=f"{git_host.url}/app.git")
    services.settings_credentials_update(repository=repo, username="deploy", token=TOKEN)
    services.rule_create(repository=repo)

    build = wait_final(
        services.builds_for_ref(repository=repo, source_type="branch", ref="main")[0]
    )

    assert build.status == "success", log_text(build)
    assert "cloned-ok" in log_text(build)
    assert git_host.logins.count(git_host.expected) >= 1  # the host got the token…
    assert TOKEN not in everything_shown(build)  # …and nothing Wharf stored has it


def test_a_password_in_a_one_off_url_works_and_is_never_shown(hub, repo, git_host):
    url = f"{git_host.url.replace('http://', f'http://deploy:{TOKEN}@')}/app.git"
    build = wait_final(start(repo, None, source_url=url))
    assert build.status == "success", log_text(build)
    assert build.source_url == f"{git_host.url}/app.git"
    assert TOKEN not in everything_shown(build)


def test_a_wrong_token_fails_with_git_s_reason_and_no_token(hub, repo, git_host):
    url = f"{git_host.url.replace('http://', 'http://deploy:wrong-token-123@')}/app.git"
    build = wait_final(start(repo, None, source_url=url))
    assert build.status == "failed"
    assert f"could not clone {git_host.url}/app.git" in build.error
    assert "Authentication failed" in log_text(build)
    assert "wrong-token-123" not in everything_shown(build)


def test_a_git_server_that_never_answers_times_out_as_a_clone_failure(hub, repo, settings):
    settings.WHARF_BUILD_CLONE_TIMEOUT = 5
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    held = []  # accepted and never answered, like a Redis port spoken to in git's protocol
    threading.Thread(target=lambda: held.append(silent.accept()), daemon=True).start()
    try:
        port = silent.getsockname()[1]
        build = wait_final(
            start(repo, None, source_url=f"git://127.0.0.1:{port}/x.git"), timeout=90
        )
    finally:
        silent.close()
    assert build.status == "failed", log_text(build)
    assert build.error == (
        f"git did not finish cloning git://127.0.0.1:{port}/x.git within 5 s "
        "(WHARF_BUILD_CLONE_TIMEOUT): the server is slow or does not answer"
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/x.git", "a link-local or cloud metadata address"),
        ("http://[fd00:ec2::254]/x.git", "a link-local or cloud metadata address"),
        ("git://[fe80::1]/x.git", "a link-local or cloud metadata address"),
    ],
)
def test_metadata_and_link_local_sources_are_refused_even_where_private_ones_build(
    hub, repo, url, reason
):
    with pytest.raises(Exception) as refused:
        services.settings_source_update(repository=repo, source_url=url)
    assert reason in str(refused.value)
    # A build row written before the rule (or by hand) is refused again when it runs.
    build = Build.objects.create(
        repository=repo, source_url=url, source_ref="main", tags=["latest"], context="."
    )
    from builds.queue import send

    send(build)
    build = wait_final(build)
    assert build.status == "failed" and reason in build.error


def test_loopback_and_private_sources_need_the_setting(hub, repo, settings, git_host):
    settings.WHARF_BUILD_ALLOW_PRIVATE_SOURCES = False
    with pytest.raises(Exception) as refused:
        services.settings_source_update(repository=repo, source_url=f"{git_host.url}/app.git")
    assert "127.0.0.1 is a loopback or private address" in str(refused.value)
    assert "WHARF_BUILD_ALLOW_PRIVATE_SOURCES" in str(refused.value)


def test_a_base_image_from_a_metadata_address_is_never_pulled(hub, repo, sources):
    dockerfile = "FROM busybox AS tools\nFROM 169.254.169.254/library/x:1\n"
    build = wait_final(start(repo, make_git_repo(sources / "m", {"Dockerfile": dockerfile})))
    assert build.status == "failed"
    assert build.error == (
        "The registry of the image 169.254.169.254/library/x:1 (line 2): 169.254.169.254 is a "
        "link-local or cloud metadata address."
    )
    assert "buildah pull" not in log_text(build)  # refused before anything was pulled
