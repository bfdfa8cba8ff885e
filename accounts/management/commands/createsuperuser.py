"""Django's createsuperuser, refusing an email address another account already uses.

Emails are unique whatever their case (``accounts_user_email_ci_unique``); Django's command does
not know that and would end in an IntegrityError traceback.
"""

import os

from django.contrib.auth.management.commands import createsuperuser
from django.core.management.base import CommandError

from accounts.models import User

EMAIL_TAKEN = "An account with this email address already exists."


def _email_taken(email: str) -> bool:
    return User.objects.filter(email__iexact=email.strip()).exists()


class Command(createsuperuser.Command):
    def handle(self, *args, **options):
        email = options.get("email")
        if options["interactive"]:
            if email and _email_taken(email):
                # Given with --email: say so, then ask for another one like for a typed address.
                self.stderr.write(f"Error: {EMAIL_TAKEN}")
                options["email"] = None
        else:
            email = email or os.environ.get("DJANGO_SUPERUSER_EMAIL")
            if email and _email_taken(email):
                raise CommandError(EMAIL_TAKEN)
        return super().handle(*args, **options)

    def get_input_data(self, field, message, default=None):
        value = super().get_input_data(field, message, default)
        if field.name == "email" and value and _email_taken(value):
            self.stderr.write(f"Error: {EMAIL_TAKEN}")
            return None  # Django asks again
        return value
