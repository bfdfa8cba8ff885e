"""Build pages: the git URL, rules and the trigger secret."""

import pytest

from builds.models import BuildRule, BuildSettings
from tests.builds.pages.conftest import GIT, main

# --- build settings ---


def test_the_git_url_is_saved(client, web, alice):
    client.force_login(alice)
    url = "https://git.example/alice/other.git"
    response = client.post("/r/alice/web/builds/source/", {"source_url": url})
    assert response.status_code == 302
    assert BuildSettings.objects.get(repository=web).source_url == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://git.example/x.git", "Use an https://, http://, ssh:// or git:// URL"),
        ("ext::sh -c touch% /tmp/pwned", "A git URL cannot contain spaces"),
        ("file:///srv/git/app.git", "Local paths and file:// URLs are disabled here"),
    ],
)
def test_a_bad_git_url_is_refused_with_its_reason(client, web, alice, settings, url, message):
    settings.WHARF_BUILD_ALLOW_LOCAL_SOURCES = False
    client.force_login(alice)
    response = client.post("/r/alice/web/builds/source/", {"source_url": url})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_source_url_error"' in page and message in page
    assert BuildSettings.objects.get(repository=web).source_url == GIT


@pytest.mark.parametrize("local", [False, True])
def test_the_git_url_help_names_file_urls_only_where_they_build(
    client, web, alice, settings, local
):
    settings.WHARF_BUILD_ALLOW_LOCAL_SOURCES = local
    client.force_login(alice)
    page = client.get("/r/alice/web/builds/").content.decode()
    refused = client.post("/r/alice/web/builds/source/", {"source_url": "ftp://x/y.git"})
    assert ("file://" in page) is local
    assert ("file://" in refused.content.decode()) is local


def test_a_rule_is_added(client, web, alice):
    client.force_login(alice)
    data = {
        "rule-source_type": "tag",
        "rule-source": "/^v([0-9.]+)$/",
        "rule-docker_tag": "{\\1}",
        "rule-dockerfile": "docker/Dockerfile",
        "rule-context": "/docker",
        "rule-build_args": "VERSION=1\nMODE=prod",
        "rule-active": "on",
    }
    response = client.post("/r/alice/web/builds/rules/new/", data)
    assert response.status_code == 302
    rule = BuildRule.objects.filter(repository=web).last()
    assert (rule.source_type, rule.source, rule.docker_tag) == ("tag", "/^v([0-9.]+)$/", "{\\1}")
    assert (rule.dockerfile, rule.context) == ("docker/Dockerfile", "docker")
    assert rule.build_args == {"VERSION": "1", "MODE": "prod"}
    assert (rule.cache, rule.autobuild, rule.active) == (False, False, True)
    page = main(client.get("/r/alice/web/builds/"))
    assert "<code>/^v([0-9.]+)$/</code>" in page
    assert '<code class="kv">VERSION=1</code>' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("docker_tag", "-bad", "A Docker tag is letters, digits, _ . and -"),
        ("source", "/([/", "The source regex does not compile"),
        ("source", "-upload-pack=x", "is not a valid git branch or tag name"),
        ("context", "../outside", "The build context must stay inside the repository"),
        ("build_args", "JUST A LINE", "Write build args as KEY=value; got “JUST A LINE”."),
    ],
)
def test_a_bad_rule_shows_the_error_next_to_its_field(client, web, alice, field, value, message):
    client.force_login(alice)
    data = {
        "rule-source_type": "branch",
        "rule-source": "main",
        "rule-docker_tag": "latest",
        "rule-dockerfile": "Dockerfile",
        "rule-context": "/",
        f"rule-{field}": value,
    }
    response = client.post("/r/alice/web/builds/rules/new/", data)
    page = response.content.decode()
    assert response.status_code == 200
    error = page[page.index(f'id="id_rule-{field}_error"') :]
    assert message in error[:400]
    assert BuildRule.objects.filter(repository=web).count() == 1


def test_a_rule_is_edited_and_errors_are_shown(client, web, alice):
    rule = BuildRule.objects.get(repository=web)
    client.force_login(alice)
    url = f"/r/alice/web/builds/rules/{rule.pk}/"
    page = main(client.get(url))
    assert f'name="rule-{rule.pk}-source" value="main"' in page
    data = {
        f"rule-{rule.pk}-source_type": "branch",
        f"rule-{rule.pk}-source": "develop",
        f"rule-{rule.pk}-docker_tag": "..nope",
        f"rule-{rule.pk}-dockerfile": "Dockerfile",
        f"rule-{rule.pk}-context": "/",
    }
    page = client.post(url, data).content.decode()
    assert "A Docker tag is letters, digits" in page
    rule.refresh_from_db()
    assert rule.source == "main"
    data[f"rule-{rule.pk}-docker_tag"] = "dev-{short_sha}"
    data[f"rule-{rule.pk}-active"] = "on"
    assert client.post(url, data).status_code == 302
    rule.refresh_from_db()
    assert (rule.source, rule.docker_tag, rule.active) == ("develop", "dev-{short_sha}", True)


def test_a_rule_is_deleted_and_the_automated_flag_follows(client, web, alice):
    rule = BuildRule.objects.get(repository=web)
    web.refresh_from_db()
    assert web.is_automated
    client.force_login(alice)
    assert client.post(f"/r/alice/web/builds/rules/{rule.pk}/delete/").status_code == 302
    assert not BuildRule.objects.filter(repository=web).exists()
    web.refresh_from_db()
    assert not web.is_automated


def test_the_trigger_secret_is_regenerated(client, web, alice):
    before = BuildSettings.objects.get(repository=web).trigger_secret
    client.force_login(alice)
    response = client.post("/r/alice/web/builds/trigger-secret/")
    after = BuildSettings.objects.get(repository=web).trigger_secret
    assert response.status_code == 302
    assert after != before and len(after) >= 32
    assert after in main(client.get("/r/alice/web/builds/"))
