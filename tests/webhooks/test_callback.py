"""Docker Hub's callback: the receiver POSTs {state, description, context, target_url} to the
payload's callback_url; the history shows it."""

import json

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import signed_in
from tests.webhooks.conftest import record_push
from webhooks.models import Delivery
from webhooks.services import webhook_create

pytestmark = pytest.mark.django_db

REPORT = {
    "state": "success",
    "description": "Deployed to staging",
    "context": "Continuous integration by Acme CI",
    "target_url": "https://ci.example.com/builds/42",
}


@pytest.fixture
def delivery(app, alice):
    webhook_create(
        repository=app, name="ci", url="https://ci.example.com/hook", events=["push"], by=alice
    )
    record_push(app)
    return Delivery.objects.get()


def _callback_path(delivery) -> str:
    url = json.loads(delivery.payload)["callback_url"]
    return url[url.index("/api/") :]


def test_a_receiver_reports_its_outcome_and_the_history_shows_it(delivery, alice, client):
    response = APIClient().post(_callback_path(delivery), REPORT, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "success"
    history = signed_in(alice).get(
        f"/api/v2/repositories/alice/app/webhooks/{delivery.webhook_id}/deliveries/"
    )
    shown = history.json()["results"][0]["callback"]
    assert {k: shown[k] for k in REPORT} == REPORT and shown["received_at"]
    client.force_login(alice)
    page = client.get(f"/r/alice/app/settings/webhooks/{delivery.webhook_id}/").content.decode()
    assert "Deployed to staging" in page and "Continuous integration by Acme CI" in page
    assert 'href="https://ci.example.com/builds/42"' in page


def test_the_last_report_wins(delivery):
    api = APIClient()
    api.post(_callback_path(delivery), {"state": "error"}, format="json")
    api.post(_callback_path(delivery), {**REPORT, "state": "failure"}, format="json")

    delivery.refresh_from_db()
    assert (delivery.callback_state, delivery.callback_description) == (
        "failure",
        "Deployed to staging",
    )


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"state": "done"}, "state", "state is one of success, failure, error; not “done”."),
        ({}, "state", "This field is required."),
        ({**REPORT, "target_url": "javascript:alert(1)"}, "target_url", "must be an http(s) URL"),
        ({**REPORT, "description": "x" * 300}, "description", "no more than 255 characters"),
    ],
)
def test_a_bad_report_is_refused_with_a_message(delivery, body, field, message):
    response = APIClient().post(_callback_path(delivery), body, format="json")

    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    delivery.refresh_from_db()
    assert delivery.callback_state == ""


def test_a_report_that_is_not_an_object_is_refused(delivery):
    response = APIClient().post(_callback_path(delivery), ["success"], format="json")

    assert response.status_code == 400
    assert "Send a JSON object" in response.json()["detail"]


def test_a_wrong_token_or_delivery_is_not_found(delivery):
    path = _callback_path(delivery)
    token = path.rstrip("/").rsplit("/", 1)[1]
    wrong_token = path.replace(token, ("0" if token[0] != "0" else "1") + token[1:])
    other_delivery = path.replace(str(delivery.uuid), "00000000-0000-4000-8000-000000000000")
    api = APIClient()

    for bad in (wrong_token, other_delivery):
        response = api.post(bad, REPORT, format="json")
        assert response.status_code == 404
        assert "No delivery has this callback URL" in response.json()["detail"]
    malformed = f"/api/v2/webhooks/callback/{'-' * 36}/{token}/"
    assert api.post(malformed, REPORT, format="json").status_code == 404
