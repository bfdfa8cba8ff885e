from hub.models import Namespace, Repository
from orgs import services
from orgs.models import Membership
from tests.api.conftest import as_token, signed_in
from tests.factories import UserFactory, make_token
from tests.orgs.api.conftest import make_robot

ORGS = "/api/v2/orgs/"


def test_creating_an_organization_makes_the_creator_its_owner(as_alice, alice):
    response = as_alice.post(ORGS, {"name": "acme", "full_name": "Acme Corp."}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "acme" and body["full_name"] == "Acme Corp."
    assert body["role"] == "owner" and body["created"]
    assert Namespace.objects.get(name="acme").kind == Namespace.Kind.ORG
    assert Membership.objects.get(namespace__name="acme").user == alice


def test_an_organization_cannot_take_a_users_name(as_alice, carol):
    response = as_alice.post(ORGS, {"name": "carol"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["That name is taken."]}


def test_an_organization_cannot_take_another_organizations_name(as_bob, acme):
    response = as_bob.post(ORGS, {"name": "acme"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["That name is taken."]}


def test_reserved_names_are_refused(as_alice):
    response = as_alice.post(ORGS, {"name": "admin"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["“admin” is reserved; please choose another name."]}


def test_name_rules_are_those_of_usernames(as_alice):
    short = as_alice.post(ORGS, {"name": "ab"}, format="json")
    dashed = as_alice.post(ORGS, {"name": "acme-corp"}, format="json")

    assert short.status_code == 400
    assert short.json()["name"] == ["Names are 4 to 30 characters long; this one has 2."]
    assert dashed.status_code == 400
    assert "lowercase letters" in dashed.json()["name"][0]


def test_unknown_fields_are_refused(as_alice):
    response = as_alice.post(ORGS, {"name": "acme", "fullname": "Acme"}, format="json")

    assert response.status_code == 400
    assert "Unknown fields: fullname." in response.json()["non_field_errors"][0]


def test_the_list_holds_the_callers_organizations_with_their_role(as_bob, acme, bob):
    other = UserFactory()
    services.org_create(user=other, name="globex")
    services.org_create(user=bob, name="initech")

    body = as_bob.get(ORGS).json()

    assert body["count"] == 2
    assert [(o["name"], o["role"]) for o in body["results"]] == [
        ("acme", "member"),
        ("initech", "owner"),
    ]


def test_listing_needs_credentials(api, acme):
    assert api.get(ORGS).status_code == 401
    assert api.post(ORGS, {"name": "globex"}, format="json").status_code == 401


def test_anyone_sees_an_organization_without_a_role(api, acme, as_carol):
    anonymous = api.get(f"{ORGS}acme/")
    stranger = as_carol.get(f"{ORGS}acme/").json()

    assert anonymous.status_code == 200
    assert anonymous.json()["full_name"] == "Acme Corp." and anonymous.json()["role"] is None
    assert stranger["role"] is None


def test_members_see_their_role(as_bob, acme):
    assert as_bob.get(f"{ORGS}acme/").json()["role"] == "member"


def test_a_user_or_nothing_is_no_organization(api, alice):
    assert api.get(f"{ORGS}alice/").status_code == 404
    assert api.get(f"{ORGS}nothinghere/").status_code == 404


def test_owners_change_the_full_name(as_alice, acme):
    response = as_alice.patch(f"{ORGS}acme/", {"full_name": "Acme Ltd."}, format="json")

    assert response.status_code == 200
    assert response.json()["full_name"] == "Acme Ltd."
    acme.refresh_from_db()
    assert acme.full_name == "Acme Ltd."


def test_members_and_outsiders_may_not_change_it(as_bob, as_carol, api, acme):
    for client in (as_bob, as_carol):
        response = client.patch(f"{ORGS}acme/", {"full_name": "Mine"}, format="json")
        assert response.status_code == 403
        assert response.json() == {"detail": "Only owners of acme can do this."}
    assert api.patch(f"{ORGS}acme/", {"full_name": "Mine"}, format="json").status_code == 401
    assert as_bob.delete(f"{ORGS}acme/").status_code == 403


def test_deleting_an_organization_takes_its_repositories(as_alice, acme, app):
    response = as_alice.delete(f"{ORGS}acme/")

    assert response.status_code == 204
    assert as_alice.get(f"{ORGS}acme/").status_code == 404
    assert not Repository.objects.filter(pk=app.pk).exists()


def test_staff_may_change_any_organization(acme, staff):
    response = signed_in(staff).patch(f"{ORGS}acme/", {"full_name": "Seized"}, format="json")

    assert response.status_code == 200
    assert response.json()["role"] == "owner"


def test_a_read_only_token_reads_but_does_not_write(alice, acme):
    _, raw = make_token(alice, scope="read")
    client = as_token(raw)

    assert client.get(ORGS).json()["count"] == 1
    response = client.post(ORGS, {"name": "globex"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "This access token is Read-only; it cannot write."}


def test_deleting_needs_a_token_that_deletes(alice, acme):
    _, read_write = make_token(alice, scope="read_write")
    _, everything = make_token(alice, scope="read_write_delete")

    refused = as_token(read_write).delete(f"{ORGS}acme/")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "This access token is Read & Write; it cannot delete."}
    assert as_token(everything).delete(f"{ORGS}acme/").status_code == 204


def test_robots_cannot_create_or_change_organizations(acme, alice):
    _, robot = make_robot(acme, alice, repositories=["*"], actions=["pull", "push", "delete"])

    created = robot.post(ORGS, {"name": "robotorg"}, format="json")
    changed = robot.patch(f"{ORGS}acme/", {"full_name": "Robots"}, format="json")

    assert created.status_code == 403
    assert created.json()["detail"].startswith("Robot accounts cannot manage organizations")
    assert changed.status_code == 403
    assert robot.delete(f"{ORGS}acme/").status_code == 403
    assert Namespace.objects.filter(name="acme").exists()
