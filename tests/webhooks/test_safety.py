"""Webhooks cannot probe the network Wharf sits in: only http(s) URLs, no loopback, private or
link-local receivers (checked when saved, and at each delivery on the addresses the name
resolves to then), redirects not followed, the connection made to the address checked, TLS
checked against the URL's host, every attempt bounded by the timeout."""

import datetime
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError

from tests.webhooks.conftest import Answer, record_push
from webhooks import delivery as deliveries
from webhooks.models import Delivery
from webhooks.services import webhook_create
from webhooks.validation import address_problem

pytestmark = pytest.mark.django_db


def _hook(app, url, **kwargs):
    return webhook_create(repository=app, name="ci", url=url, events=["push"], **kwargs)


def _attempt(app) -> Delivery:
    """Record a push and make its delivery's first attempt here, synchronously."""
    record_push(app)
    pending = Delivery.objects.get(attempts=0)
    return deliveries.attempt(pending.pk)


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://ci.example.com/hook", "must start with https:// or http:// (not ftp:)"),
        ("javascript:alert(1)", "must start with https:// or http://"),
        ("ci.example.com/hook", "must start with https:// or http://"),
        ("https:///hook", "needs a host name"),
        ("https://bot:pw@ci.example.com/hook", "Put no user name or password in the URL"),
        ("https://ci.example.com:99999/", "is not a URL"),
        ("https://ci.example.com/a hook", "cannot contain spaces"),
    ],
)
def test_a_url_that_is_not_an_http_url_is_refused_with_a_message(app, url, message):
    with pytest.raises(ValidationError) as refused:
        _hook(app, url)

    assert message in " ".join(refused.value.message_dict["url"])


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://127.0.0.1:8080/hook", "127.0.0.1 is a loopback address"),
        ("http://[::1]/hook", "::1 is a loopback address"),
        ("http://10.1.2.3/hook", "10.1.2.3 is a private or reserved address"),
        ("http://192.168.0.10/hook", "is a private or reserved address"),
        ("http://[fd00::5]/hook", "is a private or reserved address"),
        ("http://100.64.0.1/hook", "is a private or reserved address"),  # carrier-grade NAT
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),  # IPv4-mapped
        ("http://[64:ff9b::7f00:1]/hook", "loopback"),  # NAT64 of 127.0.0.1
        ("http://[2002:7f00:1::]/hook", "loopback"),  # 6to4 of 127.0.0.1
        ("http://169.254.169.254/latest/meta-data/", "link-local or cloud metadata"),
        ("http://0.0.0.0/hook", "not an address a webhook can be sent to"),
        ("http://224.0.0.1/hook", "not an address a webhook can be sent to"),
    ],
)
def test_a_private_address_is_refused_when_the_webhook_is_saved(app, url, message):
    with pytest.raises(ValidationError) as refused:
        _hook(app, url)

    shown = " ".join(refused.value.message_dict["url"])
    assert message in shown
    if "loopback" in message or "private" in message:
        assert "WHARF_WEBHOOK_ALLOW_PRIVATE=1" in shown


def test_link_local_and_metadata_addresses_stay_refused_when_private_ones_are_allowed():
    assert address_problem("127.0.0.1", allow_private=True) == ""
    assert address_problem("10.0.0.1", allow_private=True) == ""
    assert "link-local" in address_problem("169.254.169.254", allow_private=True)
    assert "link-local" in address_problem("fe80::1", allow_private=True)
    assert "metadata" in address_problem("fd00:ec2::254", allow_private=True)
    assert address_problem("93.184.216.34", allow_private=False) == ""


def test_a_name_that_resolves_to_loopback_is_refused_at_delivery(app, receiver):
    hook = receiver()
    _hook(app, f"http://localhost:{hook.port}/hook")  # a name: nothing to check until sent

    delivery = _attempt(app)

    assert "Not sent: localhost (" in delivery.error and "loopback address" in delivery.error
    assert "WHARF_WEBHOOK_ALLOW_PRIVATE=1" in delivery.error
    assert delivery.response_code is None and hook.received == []
    [attempt] = delivery.attempt_rows.all()
    assert attempt.error == delivery.error
    assert delivery.status == "pending"  # retried later: the name may point elsewhere then


def test_a_private_address_saved_while_allowed_is_refused_once_the_setting_is_off(
    app, receiver, settings
):
    hook = receiver()
    settings.WHARF_WEBHOOK_ALLOW_PRIVATE = True
    _hook(app, hook.url)
    settings.WHARF_WEBHOOK_ALLOW_PRIVATE = False

    delivery = _attempt(app)

    assert delivery.error.startswith("Not sent: 127.0.0.1 is a loopback address")
    assert hook.received == []


def test_the_request_names_the_host_while_connecting_to_the_address_checked(
    app, receiver, allow_private
):
    hook = receiver()
    _hook(app, f"http://localhost:{hook.port}/hook?source=wharf")

    delivery = _attempt(app)

    assert delivery.status == "success", delivery.error
    [request] = hook.received
    assert request.headers["host"] == f"localhost:{hook.port}"
    assert request.path == "/hook?source=wharf"


def test_a_redirect_is_not_followed_even_to_an_allowed_address(app, receiver, allow_private):
    inside = receiver()
    hook = receiver(Answer(status=302, headers={"Location": inside.url}))
    _hook(app, hook.url)

    delivery = _attempt(app)

    assert delivery.response_code == 302
    assert "a redirect to " + inside.url in delivery.error
    assert "redirects are not followed" in delivery.error
    assert len(hook.received) == 1 and inside.received == []
    assert delivery.status == "pending"  # a failure, retried


def test_an_attempt_that_outlasts_the_timeout_fails_with_a_message(
    app, receiver, allow_private, settings
):
    settings.WHARF_WEBHOOK_TIMEOUT_SECONDS = 1
    hook = receiver(Answer(delay=3))
    _hook(app, hook.url)

    delivery = _attempt(app)

    assert delivery.error == "Timed out after 1 s."
    assert delivery.response_code is None


def _self_signed(tmp_path, name: str) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


def test_https_checks_the_certificate_against_the_urls_host(app, receiver, allow_private, tmp_path):
    hook = receiver(tls=_self_signed(tmp_path, "localhost"))
    _hook(app, f"https://localhost:{hook.port}/hook")

    delivery = _attempt(app)

    assert delivery.error.startswith("The TLS certificate of localhost is not valid")
    assert hook.received == []
