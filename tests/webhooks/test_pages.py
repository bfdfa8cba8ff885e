"""Settings → Webhooks pages: add, edit, turn off, test, delete; the history with attempts and
Redeliver; the namespace's page; nobody else sees any of it."""

import pytest

from orgs.services import member_add, org_create
from tests.factories import UserFactory
from tests.webhooks.conftest import SECRET, record_push
from webhooks.models import Delivery, DeliveryAttempt, Webhook
from webhooks.services import webhook_create

pytestmark = pytest.mark.django_db

PAGE = "/r/alice/app/settings/webhooks/"
FORM = {"name": "ci", "url": "https://ci.example.com/hook", "events": ["push", "delete"]}


@pytest.fixture
def signed_in(client, alice):
    client.force_login(alice)
    return client


def test_the_settings_page_links_to_webhooks(app, signed_in):
    page = signed_in.get("/r/alice/app/settings/").content.decode()

    assert f'href="{PAGE}"' in page


def test_an_admin_adds_a_webhook_and_its_secret_is_never_shown_again(app, signed_in):
    response = signed_in.post(PAGE, {**FORM, "secret": SECRET, "active": "on"}, follow=True)

    webhook = Webhook.objects.get()
    assert response.redirect_chain[-1][0] == f"{PAGE}{webhook.pk}/"
    page = response.content.decode()
    assert "Webhook ci added. Press Test to try it." in page
    assert "A secret is set; leave this empty to keep it." in page
    assert SECRET not in page
    assert (webhook.events, webhook.active, webhook.secret_value()) == (
        ["push", "delete"],
        True,
        SECRET,
    )


def test_a_wrong_scheme_is_refused_next_to_the_url(app, signed_in):
    response = signed_in.post(PAGE, {**FORM, "url": "ftp://ci.example.com/"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "A webhook URL must start with https:// or http:// (not ftp:)." in page
    assert not Webhook.objects.exists()


def test_no_event_chosen_is_refused(app, signed_in):
    response = signed_in.post(PAGE, {**FORM, "events": []})

    assert "Choose at least one event." in response.content.decode()


def test_editing_keeps_the_secret_unless_it_is_removed(app, alice, signed_in):
    webhook = webhook_create(repository=app, secret=SECRET, by=alice, **FORM)
    url = f"{PAGE}{webhook.pk}/"

    signed_in.post(url, {**FORM, "name": "deploy", "events": ["push"], "active": "on"})
    webhook.refresh_from_db()
    assert (webhook.name, webhook.events, webhook.secret_value()) == ("deploy", ["push"], SECRET)

    signed_in.post(url, {**FORM, "remove_secret": "on", "active": "on"})
    webhook.refresh_from_db()
    assert webhook.has_secret is False


def test_turn_off_test_and_delete(app, alice, signed_in):
    webhook = webhook_create(repository=app, by=alice, **FORM)
    base = f"{PAGE}{webhook.pk}/"

    page = signed_in.post(f"{base}toggle/", follow=True).content.decode()
    assert "Webhook ci turned off." in page and "This webhook is off" in page
    page = signed_in.post(f"{base}test/", follow=True).content.decode()
    assert "Test ping to ci queued" in page
    ping = Delivery.objects.get()
    assert ping.action == "ping" and f'data-delivery="{ping.uuid}"' in page
    page = signed_in.post(f"{base}delete/", follow=True).content.decode()
    assert "Webhook ci deleted with its delivery history." in page
    assert not Webhook.objects.exists() and not Delivery.objects.exists()


def test_the_history_shows_each_attempt_and_offers_redeliver(app, alice, signed_in):
    webhook = webhook_create(repository=app, by=alice, **FORM)
    record_push(app)
    delivery = Delivery.objects.get()
    for number, code, body in ((1, 500, "<b>boom</b>"), (2, 200, "ok")):
        DeliveryAttempt.objects.create(
            delivery=delivery, number=number, response_code=code, duration_ms=12, response_body=body
        )
    Delivery.objects.filter(pk=delivery.pk).update(status="success", attempts=2, response_code=200)

    page = signed_in.get(f"{PAGE}{webhook.pk}/").content.decode()

    assert page.count('<tr class="attempt">') == 2
    assert "&lt;b&gt;boom&lt;/b&gt;" in page and "<b>boom</b>" not in page  # escaped
    redeliver = f"{PAGE}{webhook.pk}/deliveries/{delivery.pk}/redeliver/"
    assert f'action="{redeliver}"' in page
    page = signed_in.post(redeliver, follow=True).content.decode()
    assert "The push event is being sent again." in page
    assert Delivery.objects.filter(redelivery_of=delivery).count() == 1


def test_the_history_fragment_is_served_alone(app, alice, signed_in):
    webhook = webhook_create(repository=app, by=alice, **FORM)
    record_push(app)

    response = signed_in.get(f"{PAGE}{webhook.pk}/?fragment=history")

    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert "data-pending" in body and "<html" not in body


def test_other_people_get_a_404_for_every_webhook_page(app, vault, alice, client, other_user):
    webhook = webhook_create(repository=app, by=alice, **FORM)
    client.force_login(other_user)
    base = f"{PAGE}{webhook.pk}/"

    for url in (PAGE, base, "/r/alice/vault/settings/webhooks/", "/u/alice/-/webhooks/"):
        assert client.get(url).status_code == 404, url
    for url in (PAGE, f"{base}test/", f"{base}toggle/", f"{base}delete/"):
        assert client.post(url, FORM).status_code == 404, url
    assert Webhook.objects.get().active is True and not Delivery.objects.exists()


def test_a_user_manages_webhooks_for_all_their_repositories(alice, app, signed_in):
    response = signed_in.post("/u/alice/-/webhooks/", {**FORM, "active": "on"}, follow=True)

    webhook = Webhook.objects.get()
    assert webhook.namespace.name == "alice" and webhook.repository is None
    assert response.redirect_chain[-1][0] == f"/u/alice/-/webhooks/{webhook.pk}/"
    listing = signed_in.get("/u/alice/-/webhooks/").content.decode()
    assert "any of alice’s repositories" in listing and ">ci</a>" in listing
    assert "Repository created" in listing  # a repository's own page does not offer it
    assert "Repository created" not in signed_in.get(PAGE).content.decode()


def test_a_repository_page_points_to_its_namespaces_webhooks(app, signed_in):
    page = signed_in.get(PAGE).content.decode()

    assert 'href="/u/alice/-/webhooks/"' in page


def test_only_an_organizations_owners_see_its_webhooks_page(alice, client):
    org = org_create(user=alice, name="acme")
    mia = UserFactory(username="mia")
    member_add(org=org, username="mia")
    client.force_login(alice)
    assert client.get("/u/acme/-/webhooks/").status_code == 200
    client.force_login(mia)
    assert client.get("/u/acme/-/webhooks/").status_code == 404
