"""The webhook form of the Settings → Webhooks pages. It checks shapes; webhooks.services and
webhooks.validation decide (and their messages land next to the fields)."""

from django import forms

from webhooks.services import NAME_MAX_LENGTH, SECRET_MAX_LENGTH
from webhooks.validation import URL_MAX_LENGTH

EVENT_CHOICES = [
    ("push", "Push: a tag points at a new image"),
    ("delete", "Delete: a tag or a manifest is deleted"),
    ("build.queued", "Build queued"),
    ("build.success", "Build succeeded"),
    ("build.failed", "Build failed"),
    ("build.cancelled", "Build cancelled"),
    ("repository.created", "Repository created"),
    ("repository.visibility", "Repository made public or private"),
    ("repository.deleted", "Repository deleted"),
]

REPOSITORY_LIFETIME = {"repository.created", "repository.deleted"}


class WebhookForm(forms.Form):
    name = forms.CharField(label="Name", max_length=NAME_MAX_LENGTH)
    url = forms.CharField(
        label="Payload URL",
        max_length=URL_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": "https://ci.example.com/hooks/wharf"}),
        help_text="http:// or https://. Redirects are not followed.",
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
    secret = forms.CharField(
        label="Secret",
        required=False,
        max_length=SECRET_MAX_LENGTH,
        strip=False,
        # Never sent back to the browser: the page only says whether one is set.
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
    )
    remove_secret = forms.BooleanField(label="Remove the secret", required=False)
    active = forms.BooleanField(label="Active", required=False, initial=True)

    def __init__(self, *args, has_secret: bool = False, repository: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if repository:  # a repository's own webhooks exist after it is made, go when it goes
            self.fields["events"].choices = [
                (value, label) for value, label in EVENT_CHOICES if value not in REPOSITORY_LIFETIME
            ]
        self.fields["secret"].help_text = (
            "A secret is set; leave this empty to keep it. " if has_secret else "Optional. "
        ) + (
            "Each delivery is signed with it (X-Wharf-Signature-256). Stored encrypted, "
            "never shown again."
        )
        if not has_secret:
            del self.fields["remove_secret"]

    def service_fields(self) -> dict:
        """What to hand to webhook_create / webhook_update (secret None: keep it)."""
        data = self.cleaned_data
        secret = data.get("secret") or None
        if data.get("remove_secret"):
            secret = ""
        return {
            "name": data["name"],
            "url": data["url"],
            "events": list(data["events"]),
            "secret": secret,
            "active": bool(data.get("active")),
        }


def add_service_errors(form: forms.Form, error) -> None:
    """A service's ValidationError next to the fields it names (the rest above the form)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)
