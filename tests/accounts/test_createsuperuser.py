import io

import pytest
from django.contrib.auth.management.commands import createsuperuser as django_createsuperuser
from django.core.management import CommandError, call_command, get_commands

from accounts.management.commands.createsuperuser import Command
from accounts.models import User
from tests.factories import UserFactory

TAKEN = "An account with this email address already exists."


class TTY:
    """A stdin that looks like a terminal, so the command prompts (via the patched input)."""

    def isatty(self):
        return True


def test_manage_py_createsuperuser_is_wharfs(db):
    assert get_commands()["createsuperuser"] == "accounts", (
        "list 'accounts' before 'django.contrib.auth' in INSTALLED_APPS"
    )


def test_noinput_with_a_taken_email_stops_with_a_message(db, monkeypatch):
    UserFactory(email="ops@example.test")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "harbour-lights-42")

    with pytest.raises(CommandError, match=TAKEN):
        call_command(
            Command(), interactive=False, username="root2", email="OPS@example.test", verbosity=0
        )

    assert not User.objects.filter(username="root2").exists()


def test_noinput_with_a_free_email_creates_the_superuser(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "harbour-lights-42")
    call_command(
        Command(), interactive=False, username="root2", email="ops@example.test", verbosity=0
    )
    assert User.objects.get(username="root2").is_superuser


def test_prompt_asks_again_when_the_email_is_taken(db, monkeypatch):
    UserFactory(email="ops@example.test")
    answers = iter(["root2", "OPS@example.test", "new-ops@example.test"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr(django_createsuperuser.getpass, "getpass", lambda p="": "harbour-lights-42")

    stderr = io.StringIO()

    call_command(Command(), stdin=TTY(), stdout=io.StringIO(), stderr=stderr)

    assert f"Error: {TAKEN}" in stderr.getvalue()
    assert User.objects.get(username="root2").email == "new-ops@example.test"


def test_taken_email_given_on_the_command_line_is_asked_for_again(db, monkeypatch):
    UserFactory(email="ops@example.test")
    answers = iter(["new-ops@example.test"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr(django_createsuperuser.getpass, "getpass", lambda p="": "harbour-lights-42")
    stderr = io.StringIO()

    call_command(
        Command(),
        username="root2",
        email="Ops@Example.test",
        stdin=TTY(),
        stdout=io.StringIO(),
        stderr=stderr,
    )

    assert f"Error: {TAKEN}" in stderr.getvalue()
    assert User.objects.get(username="root2").email == "new-ops@example.test"
