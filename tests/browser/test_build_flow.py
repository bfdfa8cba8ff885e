"""The whole story in a browser: sign up, create a repository, point it at a local git repository,
press Build now, watch the log arrive while a real Celery worker builds with buildah, see success,
open the new tag."""

import pytest
from playwright.sync_api import expect

from tests.builds.conftest import hub, sources  # noqa: F401  (fixtures)
from tests.builds.support import make_git_repo

pytestmark = [pytest.mark.browser, pytest.mark.integration]

DOCKERFILE = """\
FROM busybox
RUN for i in 1 2 3 4 5; do echo "working $i"; sleep 0.3; done
EXPOSE 8080/tcp
CMD ["echo", "hello"]
"""


def test_sign_up_build_from_git_and_open_the_tag(hub, page, shot, sources):  # noqa: F811
    source = make_git_repo(sources / "src", {"Dockerfile": DOCKERFILE})

    page.goto("/signup/")
    page.get_by_label("Username").fill("shipwright")
    page.get_by_label("Email").fill("shipwright@example.test")
    page.get_by_label("Password").fill("tall-ships-sail")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".flash-success")).to_contain_text("Welcome to Wharf")

    page.goto("/repositories/new/")
    page.get_by_label("Repository name").fill("hello")
    page.get_by_role("button", name="Create repository").click()
    expect(page.get_by_role("heading", name="shipwright/hello")).to_be_visible()

    page.goto("/r/shipwright/hello/builds/")
    page.get_by_label("Git URL").fill(f"file://{source}")
    page.get_by_role("button", name="Save git source").click()
    page.get_by_text("Add a rule").click()
    page.get_by_label("Source", exact=True).fill("main")
    page.get_by_label("Docker tag").fill("latest")
    page.get_by_role("button", name="Add rule").click()
    shot("rules")
    page.get_by_role("button", name="Build now").click()

    # The build page: lines arrive while the worker builds, then the badge says Success.
    expect(page.locator("[data-build-log]")).to_contain_text(
        "STEP 1/4: FROM busybox", timeout=60_000
    )
    expect(page.locator("[data-build-log]")).to_contain_text("working 3", timeout=60_000)
    shot("building")
    expect(page.locator("[data-build-status]")).to_have_text("Success", timeout=120_000)
    expect(page.locator("[data-build-digest]")).to_contain_text("sha256:")
    shot("success")

    page.goto("/r/shipwright/hello/tags/latest/")
    expect(page.get_by_text("8080/tcp").first).to_be_visible()
    expect(page.get_by_text("working $i").first).to_be_visible()  # the RUN step, in the history
    shot("tag")
