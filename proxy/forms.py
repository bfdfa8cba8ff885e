"""The upstream form of the staff pages. It checks shapes; ``proxy.services`` decides, and its
messages land next to the fields."""

from django import forms

from proxy.models import Upstream
from proxy.validation import NAME_HELP, PASSWORD_MAX_LENGTH, URL_MAX_LENGTH, USERNAME_MAX_LENGTH


class UpstreamForm(forms.Form):
    name = forms.CharField(label="Name", max_length=40, help_text=NAME_HELP)
    url = forms.CharField(
        label="Registry URL",
        max_length=URL_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": "https://registry-1.docker.io"}),
        help_text="http:// or https://, a host and maybe a port; no path.",
    )
    namespace = forms.CharField(
        label="Proxy namespace",
        max_length=30,
        required=False,
        help_text="Where its images show up: HOST/namespace/library/nginx. The name when left "
        "empty; a user's or an organization's name cannot be used, and it cannot change later.",
    )
    username = forms.CharField(
        label="Username",
        max_length=USERNAME_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    password = forms.CharField(
        label="Password or access token",
        required=False,
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        # Never sent back to the browser: the page only says whether one is set.
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
    )
    remove_password = forms.BooleanField(label="Remove the password", required=False)
    tls_verify = forms.BooleanField(label="Verify TLS certificates", required=False, initial=True)
    is_mirror = forms.BooleanField(
        label="Default mirror",
        required=False,
        help_text="/v2/library/… and unknown top-level names fall through to it, so dockerd’s "
        "registry-mirrors can point at this hub. Only one upstream is; this takes it from the "
        "previous one.",
    )
    pull_access = forms.ChoiceField(
        label="Who may pull through it",
        choices=Upstream.PullAccess.choices,
        initial=Upstream.PullAccess.SIGNED_IN,
        widget=forms.RadioSelect,
        help_text="Anonymous pulls never make Wharf fetch upstream unless this is “Anyone, "
        "signed in or not”.",
    )

    def __init__(self, *args, upstream: Upstream | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        has_password = upstream is not None and upstream.has_password
        self.fields["password"].help_text = (
            "A password is set; leave this empty to keep it. " if has_password else "Optional. "
        ) + "Stored encrypted, never shown again."
        if not has_password:
            del self.fields["remove_password"]
        if upstream is not None:  # the namespace is shown, not edited
            del self.fields["namespace"]

    def service_fields(self) -> dict:
        """What to hand to upstream_create / upstream_update (password None: keep it)."""
        data = self.cleaned_data
        fields = {
            key: data[key]
            for key in ("name", "url", "username", "tls_verify", "is_mirror", "pull_access")
        }
        fields["password"] = "" if data.get("remove_password") else (data["password"] or None)
        if "namespace" in self.fields:
            fields["namespace"] = data["namespace"]
        return fields


def add_service_errors(form: forms.Form, error) -> None:
    """A service's ValidationError next to the fields it names (the rest above the form)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)
