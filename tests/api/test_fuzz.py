"""Property-based run over the live OpenAPI schema: no request, valid or not, makes a 5xx.

schemathesis drives Django's WSGI handler in-process, authenticated as a user who owns a
repository with tags; half the generated requests are aimed at that repository, so edits,
retags, stars and deletes run against real rows and not only against 404s.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from accounts.authentication import api_token_issue
from hub.services import star_add
from orgs.robots import robot_create
from orgs.services import (
    collaborator_set,
    org_create,
    team_create,
    team_member_add,
    team_permission_set,
)
from tests.api.conftest import make_repo, push_image, push_index
from tests.api.test_schema import PATHS
from tests.factories import UserFactory

pytestmark = pytest.mark.integration

REAL = {
    "namespace": "fuzzer",
    "name": "web",
    "tag": "v1",
    "username": "fuzzer",
    "org": "fuzzorg",
    "team": "devs",
}
# Operations aimed at other rows: an organization's repository for teams, someone who is a
# member or collaborator (not the last owner), a robot by name.
ORG_REPO = {"namespace": "fuzzorg", "name": "app"}
MATE = {"username": "fuzzmate"}
REAL_FOR: dict[str, dict] = {
    **{
        f"{method} /api/v2/repositories/{{namespace}}/{{name}}/groups/{tail}": ORG_REPO
        for method in ("GET", "POST", "PATCH", "DELETE")
        for tail in ("", "{team}/")
    },
    "PATCH /api/v2/repositories/{namespace}/{name}/collaborators/{username}/": MATE,
    "DELETE /api/v2/repositories/{namespace}/{name}/collaborators/{username}/": MATE,
    "PATCH /api/v2/orgs/{org}/members/{username}/": MATE,
    "DELETE /api/v2/orgs/{org}/members/{username}/": MATE,
    "DELETE /api/v2/orgs/{org}/groups/{team}/members/{username}/": MATE,
    "DELETE /api/v2/orgs/{org}/robots/{name}/": {"name": "ci"},
    "DELETE /api/v2/users/{username}/robots/{name}/": {"name": "ci"},
}


@pytest.fixture
def wsgi_app(db):
    # What Django's test client does too: a request's end must not close the connection that
    # holds the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzzer(db, tmp_path):
    user = UserFactory(username="fuzzer")
    repo = make_repo(user, "web", description="fuzzed", full_description="# Hello")
    push_image(tmp_path, repo, "v1")
    push_index(tmp_path, repo, "multi")
    push_image(tmp_path, make_repo(user, "plain"), "v1")
    make_repo(user, "secret", is_private=True)
    star_add(user=user, repository=repo)
    # An organization with a member in a team that holds a permission, robots, a collaborator.
    UserFactory(username="fuzzmate")
    org = org_create(user=user, name="fuzzorg", full_name="Fuzz Inc.")
    team = team_create(org=org, name="devs")
    team_member_add(team=team, username="fuzzmate")
    app = make_repo(user, "app", namespace="fuzzorg", is_private=True)
    team_permission_set(repository=app, team=team, permission="write")
    collaborator_set(repository=repo, username="fuzzmate", permission="read")
    robot_create(namespace=org, name="ci", created_by=user, repositories=["app"], actions=["pull"])
    robot_create(
        namespace=repo.namespace, name="ci", created_by=user, repositories=["*"], actions=["pull"]
    )
    return user


MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]


def _fuzz(operation, mode, token: str) -> None:
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), aim=st.booleans())
    def run(case, aim):
        if aim:
            real = {**REAL, **REAL_FOR.get(operation.label, {})}
            for key in case.path_parameters:
                case.path_parameters[key] = real.get(key, case.path_parameters[key])
            if isinstance(case.body, dict) and "from" in case.body:
                case.body["from"] = "v1"  # retag from a tag that exists
        # Each example starts from the fixture's rows: a delete does not turn the rest into 404s.
        with transaction.atomic():
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            transaction.set_rollback(True)
        case.validate_response(response, checks=[not_a_server_error])

    run()


# One test over every operation rather than one per operation: schemathesis's own pytest
# integration (from_fixture) reads a pytest-internal attribute that pytest 9 no longer has.
@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.value)
def test_api_never_answers_with_a_server_error(wsgi_app, fuzzer, mode):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    token = api_token_issue(user=fuzzer)
    failures, tested = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        tested += 1
        try:
            _fuzz(operation, mode, token)
        except (Exception, BaseExceptionGroup) as exc:  # collected: every failing one shows
            failures.append(f"{operation.label}: {exc}")
    assert tested == sum(len(ops) for ops in PATHS.values())  # every operation of the schema
    assert not failures, "\n\n".join(failures)
