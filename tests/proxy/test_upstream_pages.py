"""The staff pages of upstream registries (/-/upstreams/): add, edit, delete; the link in the
staff's menu; nobody else gets in; the password is never on a page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from audit.models import Event
from hub import crypto
from hub.models import Namespace, Repository
from hub.services import repository_get_or_create
from proxy.models import Upstream
from tests.proxy.staff import (  # noqa: F401  (fixtures)
    DOCKERHUB,
    PASSWORD,
    dockerhub_fixture,
    make_upstream,
    someone_fixture,
    staff_fixture,
)

pytestmark = pytest.mark.django_db

LIST = "/-/upstreams/"
ONE = LIST + "dockerhub/"
FORM = {**DOCKERHUB, "pull_access": "signed_in", "tls_verify": "on"}


def _page(response) -> str:
    page = response.content.decode()
    assert PASSWORD not in page and "fernet:" not in page
    return page


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_staff_find_the_page_in_their_menu_and_others_do_not(client, staff, someone):
    client.force_login(staff)
    assert f'href="{LIST}"' in client.get("/").content.decode()

    client.force_login(someone)
    assert f'href="{LIST}"' not in client.get("/").content.decode()


def test_staff_add_an_upstream_and_its_password_is_never_shown_again(staff_client):
    response = staff_client.post(LIST, FORM, follow=True)

    assert response.redirect_chain[-1][0] == LIST
    page = _page(response)
    assert "Upstream dockerhub added: pull its images as dockerhub/&lt;image&gt;." in page
    assert "https://registry-1.docker.io" in page and "as wharfbot, password set" in page
    upstream = Upstream.objects.get()
    assert upstream.password == PASSWORD and upstream.namespace.kind == "proxy"
    assert Event.objects.get(action="upstream.created").actor_name == "admin1"


def test_the_edit_page_never_fills_the_password_back(dockerhub, staff_client):
    page = _page(staff_client.get(ONE))

    assert '<input type="password" name="password"' in page
    field = page[page.index('<input type="password" name="password"') :].split(">", 1)[0]
    assert "value=" not in field
    assert "A password is set; leave this empty to keep it." in page
    assert "Remove the password" in page


def test_saving_with_an_empty_password_keeps_it(dockerhub, staff_client):
    form = {**FORM, "password": "", "pull_access": "public"}
    response = staff_client.post(ONE, form, follow=True)

    assert "Upstream dockerhub saved." in _page(response)
    upstream = Upstream.objects.get()
    assert (upstream.password, upstream.pull_access) == (PASSWORD, "public")


def test_the_password_can_be_changed_and_removed(dockerhub, staff_client):
    _page(staff_client.post(ONE, {**FORM, "password": "rotated-token"}, follow=True))
    assert Upstream.objects.get().password == "rotated-token"

    response = staff_client.post(ONE, {**FORM, "password": "", "remove_password": "on"})

    assert response.status_code == 302
    assert Upstream.objects.get().password_encrypted == ""
    assert "A password is set" not in staff_client.get(ONE).content.decode()


def test_a_bad_url_is_refused_next_to_the_field(staff_client):
    response = staff_client.post(LIST, {**FORM, "url": "https://registry.example/v2/"})

    assert response.status_code == 200
    page = _page(response)
    assert "Give the registry&#x27;s base URL without a path (not /v2/)" in page
    assert not Upstream.objects.exists()


def test_the_namespace_of_an_existing_user_is_refused(staff_client, someone):
    response = staff_client.post(LIST, {**FORM, "namespace": "bobby"})

    assert "bobby is a user&#x27;s namespace; choose another." in _page(response)
    assert not Upstream.objects.exists()


def test_making_one_the_mirror_takes_it_from_the_other(dockerhub, staff_client):
    Upstream.objects.filter(pk=dockerhub.pk).update(is_mirror=True)
    quay = {**FORM, "name": "quay", "url": "https://quay.io", "is_mirror": "on"}

    page = _page(staff_client.post(LIST, quay, follow=True))

    assert list(Upstream.objects.filter(is_mirror=True).values_list("name", flat=True)) == ["quay"]
    assert page.count('<span class="badge">mirror</span>') == 1


def test_an_unreadable_password_is_pointed_out(dockerhub, staff_client):
    with override_settings(SECRET_KEY="another-secret-key-" + "x" * 40):
        stored = crypto.encrypt(PASSWORD)  # as it was before SECRET_KEY changed
    Upstream.objects.update(password_encrypted=stored)

    assert "password unreadable: set it again" in _page(staff_client.get(LIST))
    assert "The stored password cannot be read" in _page(staff_client.get(ONE))


def test_deleting_removes_the_namespace_and_the_cached_repositories(dockerhub, staff_client):
    repository_get_or_create(namespace="dockerhub", name="library/nginx")
    repository_get_or_create(namespace="dockerhub", name="library/redis")

    response = staff_client.post(ONE + "delete/", follow=True)

    page = _page(response)
    assert "Upstream dockerhub deleted, with its namespace and 2 cached repositories." in page
    assert "No upstream registries yet." in page
    assert not Namespace.objects.filter(name="dockerhub").exists()
    assert not Repository.objects.filter(name__startswith="library/").exists()


def test_the_list_makes_as_many_queries_for_many_upstreams_as_for_one(
    dockerhub, staff_client, django_assert_num_queries
):
    staff_client.get(LIST)  # the session and messages set up
    with CaptureQueriesContext(connection) as one:
        _page(staff_client.get(LIST))
    make_upstream(name="quay", url="https://quay.io")
    make_upstream(name="ghcr", url="https://ghcr.io", namespace="ghcrio")
    with django_assert_num_queries(len(one.captured_queries)):
        page = _page(staff_client.get(LIST))
    assert page.count('class="upstream-row"') == 3


@pytest.mark.parametrize(
    "method, path",
    [("get", LIST), ("post", LIST), ("get", ONE), ("post", ONE), ("post", ONE + "delete/")],
)
def test_someone_not_staff_gets_a_403(client, dockerhub, someone, method, path):
    client.force_login(someone)

    response = getattr(client, method)(path, {**FORM, "tls_verify": ""})

    assert response.status_code == 403
    assert "Only staff can see and change upstream registries." in _page(response)
    upstream = Upstream.objects.get()
    assert upstream.tls_verify is True


@pytest.mark.parametrize("path", [LIST, ONE])
def test_people_not_signed_in_are_sent_to_sign_in(client, dockerhub, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_an_unknown_upstream_is_a_404(staff_client):
    assert staff_client.get(LIST + "nothing/").status_code == 404
