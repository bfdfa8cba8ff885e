from hub.models import Repository, Star
from hub.services import star_add
from tests.api.conftest import as_token, make_repo, signed_in
from tests.factories import UserFactory, make_token


def stars_url(repo):
    return f"/api/v2/repositories/{repo.namespace.name}/{repo.name}/stars/"


def starred_url(user):
    return f"/api/v2/users/{user.username}/starred/"


def test_star_and_unstar_move_the_count_once(user, other_user):
    repo = make_repo(user, "web")
    client = signed_in(other_user)

    assert client.post(stars_url(repo)).json() == {"starred": True, "star_count": 1}
    assert client.post(stars_url(repo)).json() == {"starred": True, "star_count": 1}
    signed_in(user).post(stars_url(repo))
    assert Repository.objects.get(pk=repo.pk).star_count == 2

    assert client.delete(stars_url(repo)).json() == {"starred": False, "star_count": 1}
    assert client.delete(stars_url(repo)).json() == {"starred": False, "star_count": 1}
    assert not Star.objects.filter(user=other_user).exists()


def test_starring_needs_sign_in(api, user):
    repo = make_repo(user, "web")
    response = api.post(stars_url(repo))
    assert response.status_code == 401
    assert response.json()["detail"] == "Authentication credentials were not provided."


def test_cannot_star_a_private_repository_one_cannot_see(user, other_user):
    repo = make_repo(user, "secret", is_private=True)
    response = signed_in(other_user).post(stars_url(repo))
    assert response.status_code == 404
    assert not Star.objects.exists()


def test_read_token_cannot_star_but_read_write_can_unstar(user):
    repo = make_repo(user, "web")
    _, read = make_token(user, scope="read", description="r")
    _, write = make_token(user, scope="read_write", description="w")
    assert as_token(read).post(stars_url(repo)).status_code == 403
    assert as_token(write).post(stars_url(repo)).status_code == 200
    assert as_token(write).delete(stars_url(repo)).json()["starred"] is False


def test_starred_lists_most_recent_first_with_has_starred_for_the_caller(api, user, other_user):
    first, second = make_repo(other_user, "first"), make_repo(other_user, "second")
    star_add(user=user, repository=first)
    star_add(user=user, repository=second)
    star_add(user=other_user, repository=second)

    anonymous = api.get(starred_url(user)).json()
    assert anonymous["count"] == 2
    assert [r["name"] for r in anonymous["results"]] == ["second", "first"]
    assert [r["has_starred"] for r in anonymous["results"]] == [False, False]

    viewer = signed_in(other_user).get(starred_url(user)).json()
    assert [r["has_starred"] for r in viewer["results"]] == [True, False]


def test_starred_of_an_unknown_user_is_404(api, db):
    response = api.get("/api/v2/users/nosuchuser/starred/")
    assert response.status_code == 404
    assert response.json()["detail"] == "No user 'nosuchuser'."


def test_starred_lists_nothing_for_a_user_without_stars(api, db):
    assert api.get(starred_url(UserFactory())).json()["count"] == 0
