"""Page tests' helpers; the organization acme and its people are tests/orgs/conftest.py's."""

import pytest

from orgs import services


@pytest.fixture
def devs_write_app(devs, app):
    return services.team_permission_set(repository=app, team=devs, permission="write")


def main(response) -> str:
    """The page's <main>, decoded: what the tests read (the user menu is elsewhere)."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def flashes(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]
