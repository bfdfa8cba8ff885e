import pytest
from rest_framework.test import APIClient

from hub.models import Repository
from tests.api.conftest import as_token, make_repo, push_image, signed_in
from tests.factories import make_token


def url(namespace, name=None):
    return f"/api/v2/repositories/{namespace}/" + (f"{name}/" if name else "")


def test_namespace_list_has_docker_hubs_fields(api, user):
    make_repo(user, "web", description="The web app", full_description="# Web", is_private=False)

    response = api.get(url(user.username))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["next"] is None and body["previous"] is None
    repo = body["results"][0]
    assert repo["namespace"] == user.username and repo["name"] == "web"
    assert repo["repo_name"] == f"{user.username}/web"
    assert repo["description"] == "The web app" and repo["full_description"] == "# Web"
    assert repo["is_private"] is False and repo["is_automated"] is False
    assert repo["is_official"] is False
    assert repo["star_count"] == 0 and repo["pull_count"] == 0
    assert repo["last_updated"] and repo["date_registered"]
    assert repo["has_starred"] is False
    assert repo["permissions"] == {"read": True, "write": False, "admin": False}


def test_namespace_list_is_paginated_with_page_size(api, user):
    for i in range(5):
        make_repo(user, f"app{i}")
    first = api.get(url(user.username), {"page_size": 2, "ordering": "name"}).json()
    assert first["count"] == 5
    assert [r["name"] for r in first["results"]] == ["app0", "app1"]
    assert "page=2" in first["next"]
    last = api.get(url(user.username), {"page_size": 2, "page": 3, "ordering": "name"}).json()
    assert [r["name"] for r in last["results"]] == ["app4"]
    assert last["next"] is None and "page=2" in last["previous"]


def test_page_size_is_capped_at_100(api, user):
    make_repo(user, "web")
    response = api.get(url(user.username), {"page_size": 1000})
    assert response.status_code == 200  # capped, not refused
    assert response.json()["count"] == 1


def test_page_past_the_end_is_a_json_404(api, user):
    make_repo(user, "web")
    response = api.get(url(user.username), {"page": 9})
    assert response.status_code == 404
    assert response.json()["detail"] == "Invalid page."


def test_unknown_namespace_is_404(api, db):
    response = api.get(url("nobodyhere"))
    assert response.status_code == 404
    assert response.json()["detail"] == "No namespace 'nobodyhere'."


def test_account_without_repositories_lists_none(api, user):
    response = api.get(url(user.username))
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_unknown_ordering_is_refused_with_the_choices(api, user):
    response = api.get(url(user.username), {"ordering": "random"})
    assert response.status_code == 400
    assert '"random" is not a valid choice.' in response.json()["ordering"][0]


def test_owner_sees_write_and_admin_permissions(user):
    make_repo(user, "web")
    repo = signed_in(user).get(url(user.username, "web")).json()
    assert repo["permissions"] == {"read": True, "write": True, "admin": True}


def test_create_repository(user):
    response = signed_in(user).post(
        url(user.username),
        {"name": "api", "description": "Backend", "is_private": True},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["name"] == "api" and response.json()["is_private"] is True
    repo = Repository.objects.get(namespace__name=user.username, name="api")
    assert repo.description == "Backend"


def test_create_needs_sign_in(api, user):
    response = api.post(url(user.username), {"name": "api"}, format="json")
    assert response.status_code == 401
    assert response.json()["detail"] == "Authentication credentials were not provided."


@pytest.mark.parametrize(
    ("namespace", "data", "field", "message"),
    [
        ("{other}", {"name": "api"}, "namespace", "only in your own namespace"),
        ("library", {"name": "api"}, "namespace", "only in your own namespace"),
        ("{me}", {"name": "Bad Name"}, "name", "Use lowercase letters"),
        ("{me}", {"name": "web"}, "name", "already exists"),
        ("{me}", {"name": "x", "description": "d" * 101}, "description", "no more than 100"),
        ("{me}", {}, "name", "This field is required."),
    ],
)
def test_create_errors_name_the_field(user, other_user, namespace, data, field, message):
    make_repo(user, "web")
    ns = namespace.format(me=user.username, other=other_user.username)
    response = signed_in(user).post(url(ns), data, format="json")
    assert response.status_code == 400
    assert message in response.json()[field][0]


def test_staff_create_official_repositories(staff):
    response = signed_in(staff).post(url("library"), {"name": "busybox"}, format="json")
    assert response.status_code == 201
    assert response.json()["repo_name"] == "busybox"
    assert response.json()["is_official"] is True


def test_detail_shows_has_starred_for_the_caller(user, other_user):
    from hub.services import star_add

    repo = make_repo(user, "web")
    star_add(user=other_user, repository=repo)
    assert signed_in(other_user).get(url(user.username, "web")).json()["has_starred"] is True
    assert signed_in(user).get(url(user.username, "web")).json()["has_starred"] is False


def test_owner_edits_descriptions_and_visibility(user):
    make_repo(user, "web")
    response = signed_in(user).patch(
        url(user.username, "web"),
        {"description": "  Short  ", "full_description": "# Long", "is_private": True},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["description"] == "Short"
    repo = Repository.objects.get(name="web")
    assert repo.full_description == "# Long" and repo.is_private is True
    assert "short" in repo.search_text


def test_staff_edit_any_repository(user, staff):
    make_repo(user, "web", is_private=True)
    response = signed_in(staff).patch(url(user.username, "web"), {"description": "By staff"})
    assert response.status_code == 200
    assert Repository.objects.get(name="web").description == "By staff"


def test_another_user_cannot_edit_a_public_repository(user, other_user):
    make_repo(user, "web")
    response = signed_in(other_user).patch(url(user.username, "web"), {"description": "x"})
    assert response.status_code == 403
    assert (
        response.json()["detail"]
        == "Only the repository's admins (its owner, admin teams and collaborators) can do this."
    )


def test_another_user_editing_a_private_repository_gets_404(user, other_user):
    make_repo(user, "secret", is_private=True)
    response = signed_in(other_user).patch(url(user.username, "secret"), {"description": "x"})
    assert response.status_code == 404
    assert response.json()["detail"] == "No such repository"


def test_anonymous_edit_needs_sign_in(api, user):
    make_repo(user, "web")
    response = api.patch(url(user.username, "web"), {"description": "x"}, format="json")
    assert response.status_code == 401


def test_name_and_counters_cannot_be_patched(user):
    make_repo(user, "web")
    response = signed_in(user).patch(
        url(user.username, "web"), {"name": "other", "star_count": 9}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [
        "These fields cannot be changed: name, star_count."
    ]


def test_too_long_description_is_refused(user):
    make_repo(user, "web")
    response = signed_in(user).patch(url(user.username, "web"), {"description": "x" * 101})
    assert response.status_code == 400
    assert "no more than 100 characters" in response.json()["description"][0]


def test_owner_deletes_a_repository_with_its_tags(user, tmp_path):
    repo = make_repo(user, "web")
    push_image(tmp_path, repo, "v1")
    response = signed_in(user).delete(url(user.username, "web"))
    assert response.status_code == 204
    assert not Repository.objects.filter(name="web").exists()


def test_another_user_cannot_delete(user, other_user):
    make_repo(user, "web")
    response = signed_in(other_user).delete(url(user.username, "web"))
    assert response.status_code == 403
    assert Repository.objects.filter(name="web").exists()


def test_unknown_repository_is_a_json_404(api, db):
    response = api.get(url("someone", "nothing"))
    assert response.status_code == 404
    assert response.json()["detail"] == "No such repository"


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_read_only_token_cannot_change_or_delete(user, method):
    make_repo(user, "web")
    _, raw = make_token(user, scope="read")
    response = getattr(as_token(raw), method)(url(user.username, "web"))
    assert response.status_code == 403
    assert "This access token is Read-only; it cannot" in response.json()["detail"]
    assert Repository.objects.filter(name="web").exists()


def test_read_write_token_edits_but_cannot_delete(user):
    make_repo(user, "web")
    _, raw = make_token(user, scope="read_write")
    client = as_token(raw)
    assert client.patch(url(user.username, "web"), {"description": "ok"}).status_code == 200
    response = client.delete(url(user.username, "web"))
    assert response.status_code == 403
    assert response.json()["detail"] == "This access token is Read & Write; it cannot delete."


def test_read_write_delete_token_deletes(user):
    make_repo(user, "web")
    _, raw = make_token(user, scope="read_write_delete")
    assert as_token(raw).delete(url(user.username, "web")).status_code == 204


def test_read_only_token_cannot_create(user):
    _, raw = make_token(user, scope="read")
    response = as_token(raw).post(url(user.username), {"name": "web"}, format="json")
    assert response.status_code == 403


def test_browser_session_needs_the_csrf_token_to_write(user):
    make_repo(user, "web")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(url(user.username, "web")).status_code == 200
    response = client.patch(url(user.username, "web"), {"description": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF Failed" in response.json()["detail"]


def test_unsupported_method_is_a_json_405(user):
    make_repo(user, "web")
    response = signed_in(user).put(url(user.username, "web"), {"description": "x"})
    assert response.status_code == 405
    assert response.json()["detail"] == 'Method "PUT" not allowed.'


def test_malformed_json_is_a_json_400(user):
    make_repo(user, "web")
    response = signed_in(user).patch(
        url(user.username, "web"), "{nope", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_owner_deletes_a_repository_with_a_multi_arch_image(user, tmp_path):
    from tests.api.conftest import push_index

    repo = make_repo(user, "multi")
    push_index(tmp_path, repo, "latest")
    response = signed_in(user).delete(url(user.username, "multi"))
    assert response.status_code == 204
    assert not Repository.objects.filter(name="multi").exists()
