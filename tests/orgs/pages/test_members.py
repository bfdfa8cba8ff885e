"""The Members tab: owners add, change and remove members; anyone leaves; one owner stays."""

import pytest

from orgs.models import Membership, Role, TeamMember
from tests.orgs.pages.conftest import main


def role(org, username: str) -> str | None:
    membership = Membership.objects.filter(namespace=org, user__username=username).first()
    return membership.role if membership else None


def test_members_see_everyone_with_their_roles(client, bob, acme):
    client.force_login(bob)
    page = main(client.get("/orgs/acme/members/"))
    assert '<a href="/u/alice/">alice</a>' in page and '<a href="/u/bob/">bob</a>' in page
    assert "<td>Owner</td>" in page and "<td>Member</td>" in page
    assert "Add a member" not in page  # owners only
    assert "Leave acme</button>" in page


def test_the_owner_adds_a_member_with_a_role(client, alice, carol, acme):
    client.force_login(alice)
    response = client.post(
        "/orgs/acme/members/", {"username": "carol", "role": "editor"}, follow=True
    )
    assert response.redirect_chain == [("/orgs/acme/members/", 302)]
    assert "Added carol to acme as editor." in response.content.decode()
    assert role(acme, "carol") == Role.EDITOR


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"username": "nobody", "role": "member"},
            "username",
            "There is no user &#x27;nobody&#x27;.",
        ),
        ({"username": "bob", "role": "member"}, "username", "bob is already a member of acme."),
        (
            {"username": "carol", "role": "boss"},
            "role",
            "Select a valid choice. boss is not one of the available choices.",
        ),
        ({"username": "", "role": "member"}, "username", "This field is required."),
    ],
)
def test_adding_a_member_shows_what_is_wrong(client, alice, carol, acme, data, field, message):
    client.force_login(alice)
    response = client.post("/orgs/acme/members/", data)
    assert response.status_code == 200
    assert f'<p class="error" id="id_{field}_error">{message}</p>' in main(response)
    assert role(acme, "carol") is None


def test_a_member_may_not_add_members(client, bob, carol, acme):
    client.force_login(bob)
    response = client.post("/orgs/acme/members/", {"username": "carol", "role": "owner"})
    assert response.status_code == 403
    assert role(acme, "carol") is None


def test_outsiders_get_404_for_every_change(client, carol, acme):
    client.force_login(carol)
    for path in (
        "/orgs/acme/members/",
        "/orgs/acme/members/bob/",
        "/orgs/acme/members/bob/remove/",
        "/orgs/acme/leave/",
    ):
        assert client.post(path, {"username": "carol", "role": "owner"}).status_code == 404
    assert role(acme, "bob") == Role.MEMBER


def test_the_owner_changes_a_role(client, alice, acme):
    client.force_login(alice)
    response = client.post("/orgs/acme/members/bob/", {"role": "editor"}, follow=True)
    assert "bob is now editor of acme." in response.content.decode()
    assert role(acme, "bob") == Role.EDITOR
    assert '<option value="editor" selected>Editor</option>' in main(response)


def test_an_unknown_role_is_refused_with_a_message(client, alice, acme):
    client.force_login(alice)
    response = client.post("/orgs/acme/members/bob/", {"role": "boss"}, follow=True)
    assert "Role is one of owner, editor, member." in response.content.decode()
    assert role(acme, "bob") == Role.MEMBER


def test_a_member_may_not_change_roles(client, bob, acme):
    client.force_login(bob)
    assert client.post("/orgs/acme/members/bob/", {"role": "owner"}).status_code == 403
    assert role(acme, "bob") == Role.MEMBER


def test_changing_the_role_of_a_non_member_is_404(client, alice, carol, acme):
    client.force_login(alice)
    assert client.post("/orgs/acme/members/carol/", {"role": "owner"}).status_code == 404


def test_the_last_owner_cannot_step_down(client, alice, acme):
    client.force_login(alice)
    response = client.post("/orgs/acme/members/alice/", {"role": "member"}, follow=True)
    assert (
        "acme must keep at least one owner: make someone else an owner first."
        in response.content.decode()
    )
    assert role(acme, "alice") == Role.OWNER


def test_the_owner_removes_a_member_from_the_organization_and_its_teams(client, alice, acme, devs):
    client.force_login(alice)
    response = client.post("/orgs/acme/members/bob/remove/", follow=True)
    assert response.redirect_chain == [("/orgs/acme/members/", 302)]
    assert "Removed bob from acme." in response.content.decode()
    assert role(acme, "bob") is None
    assert not TeamMember.objects.filter(team=devs).exists()


def test_a_member_may_not_remove_others(client, bob, acme):
    client.force_login(bob)
    assert client.post("/orgs/acme/members/alice/remove/").status_code == 403
    assert role(acme, "alice") == Role.OWNER


def test_a_member_leaves(client, bob, acme):
    client.force_login(bob)
    response = client.post("/orgs/acme/leave/", follow=True)
    assert response.redirect_chain == [("/orgs/acme/", 302)]
    assert "You left acme." in response.content.decode()
    assert role(acme, "bob") is None
    assert client.get("/orgs/acme/members/").status_code == 404


def test_leaving_through_ones_own_remove_button_works_too(client, bob, acme):
    client.force_login(bob)
    client.post("/orgs/acme/members/bob/remove/")
    assert role(acme, "bob") is None


def test_the_last_owner_cannot_leave(client, alice, acme):
    client.force_login(alice)
    response = client.post("/orgs/acme/leave/", follow=True)
    assert response.redirect_chain == [("/orgs/acme/members/", 302)]
    assert (
        "acme must keep at least one owner: make someone else an owner first."
        in response.content.decode()
    )
    assert role(acme, "alice") == Role.OWNER


def test_an_owner_leaves_once_there_is_another(client, alice, acme):
    client.force_login(alice)
    client.post("/orgs/acme/members/bob/", {"role": "owner"})
    client.post("/orgs/acme/leave/")
    assert role(acme, "alice") is None and role(acme, "bob") == Role.OWNER


def test_staff_who_are_not_members_have_nothing_to_leave(client, staff, acme):
    client.force_login(staff)
    assert client.post("/orgs/acme/leave/").status_code == 404
