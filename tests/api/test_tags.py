import pytest

from hub.models import Tag
from tests.api.conftest import as_token, make_repo, push_image, push_index, signed_in
from tests.factories import make_token


def tags_url(repo, tag=None):
    base = f"/api/v2/repositories/{repo.namespace.name}/{repo.name}/tags/"
    return base + (f"{tag}/" if tag else "")


@pytest.fixture
def repo(user, tmp_path):
    repository = make_repo(user, "web")
    push_image(tmp_path, repository, "v1")
    return repository


def test_tag_list_shows_a_single_image_with_one_platform(api, repo):
    manifest = Tag.objects.get(repository=repo, name="v1").manifest

    body = api.get(tags_url(repo)).json()

    assert body["count"] == 1
    tag = body["results"][0]
    assert tag["name"] == "v1"
    assert tag["digest"] == manifest.digest
    assert tag["full_size"] == manifest.total_size > 0
    assert tag["last_updated"] and tag["tag_last_pushed"]
    assert tag["images"] == [
        {
            "architecture": "amd64",
            "os": "linux",
            "variant": "",
            "digest": manifest.digest,
            "size": manifest.total_size,
        }
    ]


def test_multi_arch_tag_lists_every_platform(api, repo, tmp_path):
    index = push_index(tmp_path, repo, "multi")

    tag = api.get(tags_url(repo, "multi")).json()

    assert tag["digest"] == index.digest
    platforms = [(i["os"], i["architecture"], i["variant"]) for i in tag["images"]]
    assert platforms == [("linux", "amd64", ""), ("linux", "arm64", ""), ("linux", "arm", "v7")]
    children = {c.child.digest: c.child.total_size for c in index.children.all()}
    assert {i["digest"]: i["size"] for i in tag["images"]} == children
    assert tag["full_size"] == sum(children.values())


def test_tags_are_ordered_by_name_on_request(api, repo, tmp_path):
    push_image(tmp_path, repo, "a-first")
    names = [t["name"] for t in api.get(tags_url(repo), {"ordering": "name"}).json()["results"]]
    assert names == ["a-first", "v1"]
    latest = [t["name"] for t in api.get(tags_url(repo)).json()["results"]]
    assert latest == ["a-first", "v1"]  # most recently pushed first by default


def test_unknown_tag_is_a_json_404(api, repo):
    response = api.get(tags_url(repo, "nope"))
    assert response.status_code == 404
    assert response.json()["detail"] == "No tag 'nope' in " + repo.full_name + "."


def test_retag_from_a_tag(user, repo):
    response = signed_in(user).post(tags_url(repo), {"name": "stable", "from": "v1"})

    assert response.status_code == 201
    source = Tag.objects.get(repository=repo, name="v1")
    assert response.json()["name"] == "stable"
    assert response.json()["digest"] == source.manifest.digest
    assert Tag.objects.get(repository=repo, name="stable").manifest_id == source.manifest_id


def test_retag_from_a_digest_moves_an_existing_tag(user, repo, tmp_path):
    v2 = push_image(tmp_path, repo, "v2")
    response = signed_in(user).post(tags_url(repo), {"name": "v1", "from": v2.digest})
    assert response.status_code == 201
    assert Tag.objects.get(repository=repo, name="v1").manifest_id == v2.pk


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "-bad", "from": "v1"}, "name", "Tags are up to 128 letters"),
        ({"name": "ok", "from": "missing"}, "from", "No tag or digest 'missing'"),
        ({"name": "ok", "from": "sha256:" + "0" * 64}, "from", "No tag or digest"),
        ({"name": "ok"}, "from", "This field is required."),
    ],
)
def test_retag_errors_name_the_field(user, repo, data, field, message):
    response = signed_in(user).post(tags_url(repo), data, format="json")
    assert response.status_code == 400
    assert message in response.json()[field][0]


def test_only_the_owner_retags(other_user, repo):
    response = signed_in(other_user).post(tags_url(repo), {"name": "mine", "from": "v1"})
    assert response.status_code == 403
    assert not Tag.objects.filter(name="mine").exists()


def test_owner_deletes_a_tag(user, repo):
    response = signed_in(user).delete(tags_url(repo, "v1"))
    assert response.status_code == 204
    assert not Tag.objects.filter(repository=repo).exists()


def test_deleting_a_missing_tag_is_404(user, repo):
    response = signed_in(user).delete(tags_url(repo, "v9"))
    assert response.status_code == 404
    assert response.json()["detail"] == f"No tag 'v9' in {repo.full_name}."


def test_another_user_cannot_delete_a_tag(other_user, repo):
    response = signed_in(other_user).delete(tags_url(repo, "v1"))
    assert response.status_code == 403
    assert Tag.objects.filter(repository=repo).exists()


def test_anonymous_cannot_delete_a_tag(api, repo):
    assert api.delete(tags_url(repo, "v1")).status_code == 401


def test_read_token_cannot_delete_or_retag(user, repo):
    _, raw = make_token(user, scope="read")
    client = as_token(raw)
    assert client.delete(tags_url(repo, "v1")).status_code == 403
    assert client.post(tags_url(repo), {"name": "x", "from": "v1"}).status_code == 403
    assert client.get(tags_url(repo)).status_code == 200
    assert list(Tag.objects.values_list("name", flat=True)) == ["v1"]


def test_read_write_token_retags_but_cannot_delete(user, repo):
    _, raw = make_token(user, scope="read_write")
    client = as_token(raw)
    assert client.post(tags_url(repo), {"name": "x", "from": "v1"}).status_code == 201
    assert client.delete(tags_url(repo, "x")).status_code == 403
