"""Access changes — a repository made private, a revoked credential, a disabled account, a lost
permission — are refused by the very next request to the other web process (see
tests/registry/coherence/conftest.py for how)."""

import uuid

import pytest
from django.test import Client

from accounts.models import AccessToken, User
from accounts.services import access_token_revoke
from hub.services import namespace_for_user, repository_create
from orgs import robots
from orgs import services as orgs
from tests.factories import PASSWORD, UserFactory, make_token
from tests.registry.coherence.helpers import api, each, new_image, push, refused, sha, warm
from tests.registry.conftest import basic

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_repository_made_private_is_refused_by_the_other_process_at_once(ab, pushed):
    stranger = UserFactory()
    _, stranger_pat = make_token(stranger)
    scope = f"repository:{pushed.name}:pull"
    anonymous = [{}, ab.a.bearer(scope)]  # no credentials; an anonymous token
    stranger_token = ab.a.bearer(scope, auth=basic(stranger.username, stranger_pat))
    paths = [pushed.path(), pushed.path(pushed.image.digest), pushed.blob]
    requests, owner = each(paths, [*anonymous, stranger_token]), each(paths, [pushed.headers])
    assert warm(ab, *requests, *owner) == {200}
    repository = f"repositories/{pushed.name}/"

    assert api(ab, "PATCH", repository, pushed.pat, {"is_private": True}) == 200

    for http in (ab.b, ab.a):
        for method, path, headers in requests:
            status, h, body = http.request(method, path, headers=headers)
            assert refused(status, body, pushed.image), (method, path, headers)
            if headers in anonymous:
                assert status == 401 and h["www-authenticate"].startswith("Bearer realm=")
        assert {http.request(m, p, headers=h)[0] for m, p, h in owner} == {200}
    assert warm(ab, *requests) == {401, 404}

    assert api(ab, "PATCH", repository, pushed.pat, {"is_private": False}) == 200

    for http in (ab.b, ab.a):
        assert {http.request(m, p, headers=h)[0] for m, p, h in requests} == {200}


@pytest.mark.parametrize("credential", ["access token", "robot"])
def test_a_revoked_credential_s_token_is_refused_by_the_other_process_at_once(
    ab, pushed, credential
):
    owner = pushed.owner
    if credential == "access token":
        token, secret = make_token(owner, scope=AccessToken.Scope.READ, description="revoke me")
        username = owner.username

        def revoke():
            access_token_revoke(token=token)
    else:
        robot, secret = robots.robot_create(
            namespace=namespace_for_user(user=owner), name="ci", created_by=owner,
            repositories=["*"], actions=["pull"],
        )  # fmt: skip
        username = robot.full_name

        def revoke():
            assert api(ab, "DELETE", f"users/{owner.username}/robots/ci/", pushed.pat) == 204

    headers = ab.a.bearer(f"repository:{pushed.name}:pull", auth=basic(username, secret))
    assert warm(ab, *pushed.reads(headers)) == {200}

    revoke()

    for http in (ab.b, ab.a):
        # A public repository, and yet refused: the token stands for a credential that is gone.
        assert [http.request(m, p, headers=h)[0] for m, p, h in pushed.reads(headers)] == [401] * 3


def test_a_deactivated_account_is_refused_by_the_other_process_at_once(ab, pushed):
    owner, scope = pushed.owner, f"repository:{pushed.name}:pull"
    tokens = {
        "access token": ab.a.bearer(scope, auth=basic(owner.username, pushed.pat)),
        "password": ab.a.bearer(scope, auth=basic(owner.username, PASSWORD)),
    }
    assert warm(ab, *[r for headers in tokens.values() for r in pushed.reads(headers)]) == {200}
    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))

    # What a staff member does: untick "Active" on the account's admin page, and save.
    joined = owner.date_joined
    form = {
        "username": owner.username,
        "email": owner.email,
        "_save": "Save",
        "date_joined_0": f"{joined:%Y-%m-%d}",
        "date_joined_1": f"{joined:%H:%M:%S}",
    }
    response = admin.post(f"/admin/accounts/user/{owner.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not User.objects.get(pk=owner.pk).is_active

    for http in (ab.b, ab.a):
        for how, headers in tokens.items():
            statuses = [http.request(m, p, headers=h)[0] for m, p, h in pushed.reads(headers)]
            assert statuses == [401] * 3, how


@pytest.mark.parametrize("loss", ["collaborator removed", "out of the team", "team loses read"])
def test_losing_read_on_a_private_repository_is_refused_by_the_other_process_at_once(ab, loss):
    owner, reader = UserFactory(), UserFactory()
    _, pat = make_token(owner, scope="read_write_delete")
    _, reader_pat = make_token(reader)
    if loss == "collaborator removed":
        namespace = owner.username
        repo = repository_create(user=owner, namespace=namespace, name="app", is_private=True)
        orgs.collaborator_set(repository=repo, username=reader.username, permission="read")
        change = f"repositories/{namespace}/app/collaborators/{reader.username}/"
    else:
        namespace = f"org{uuid.uuid4().hex[:10]}"
        org = orgs.org_create(user=owner, name=namespace)
        repo = repository_create(user=owner, namespace=namespace, name="app", is_private=True)
        team = orgs.team_create(org=org, name="readers")
        orgs.team_member_add(team=team, username=reader.username)
        orgs.team_permission_set(repository=repo, team=team, permission="read")
        change = (
            f"orgs/{namespace}/groups/readers/members/{reader.username}/"
            if loss == "out of the team"
            else f"repositories/{namespace}/app/groups/readers/"
        )
    name, image = f"{namespace}/app", new_image()
    pusher = ab.a.bearer(f"repository:{name}:push", auth=basic(owner.username, pat))
    push(ab.a, name, "v1", image, pusher)
    headers = ab.a.bearer(f"repository:{name}:pull", auth=basic(reader.username, reader_pat))
    paths = [f"/v2/{name}/{p}" for p in ("manifests/v1", f"blobs/{sha(image.layer)}")]
    requests = each([*paths, f"/v2/{name}/manifests/{image.digest}"], [headers])
    assert warm(ab, *requests) == {200}

    assert api(ab, "DELETE", change, pat) == 204

    for http in (ab.b, ab.a):
        for method, path, h in requests:
            status, _, body = http.request(method, path, headers=h)
            assert refused(status, body, image), (method, path)
