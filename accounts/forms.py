from django import forms
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts.models import AccessToken, User
from accounts.names import HELP_TEXT, validate_username
from accounts.ratelimit import (
    RateLimitUnavailable,
    login_failure_record,
    login_failures_clear,
    login_lockout,
)
from accounts.selectors import user_get_by_login


class SignUpForm(forms.Form):
    username = forms.CharField(
        # Far above MAX_LENGTH on purpose: the browser must not cut a long name silently; our
        # validator then says "this one has 60" and the person can see what to shorten.
        max_length=150,
        help_text=HELP_TEXT,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    email = forms.EmailField(
        max_length=254,  # the most an address can be (RFC 5321) and what the model holds
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 9 characters; not only digits, not a common password.",
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        validate_username(username)
        from hub.models import Namespace  # organizations share the name space

        if (
            User.objects.filter(username=username).exists()
            or Namespace.objects.filter(name=username).exists()
        ):
            raise ValidationError("That username is taken.", code="taken")
        return username

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"].strip())
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(
                "An account with this email address already exists.", code="taken"
            )
        return email

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            # Validate against the would-be user so "similar to your username" can fire.
            candidate = User(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class LoginForm(AuthenticationForm):
    """Sign in with a username or email; failures are rate-limited per name and address."""

    username = forms.CharField(
        label="Username or email",
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Incorrect username or password.",
        "locked": (
            "Too many failed sign-in attempts for this account from your network. "
            "Try again in %(minutes)s minute(s), or reset your password."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        # AuthenticationForm narrows the field to the model's username length (30), which would
        # make the browser cut a longer email address; an email can be 254 characters.
        self.fields["username"].max_length = 254
        self.fields["username"].widget.attrs["maxlength"] = 254

    def clean(self):
        login = self.cleaned_data.get("username", "")
        password = self.cleaned_data.get("password")
        if not login or not password:
            return self.cleaned_data
        try:
            self._sign_in(login, password)
        except RateLimitUnavailable as exc:
            self.user_cache = None
            # The view answers 503 for this code (accounts.views.LoginView).
            raise ValidationError(str(exc), code="unavailable") from None
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def _sign_in(self, login: str, password: str) -> None:
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        account = user_get_by_login(login=login)
        # Count failures against the account, however it was named (username or email), so
        # switching spellings does not reset the count; the registry's sign-in counts by
        # username too. A name matching no account is counted as typed (lowercased).
        username = account.username if account else login
        lockout = login_lockout(login=username, address=address)
        if lockout.locked:
            raise ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"minutes": (lockout.retry_after + 59) // 60},
            )
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            login_failure_record(login=username, address=address)
            raise self.get_invalid_login_error()
        login_failures_clear(login=username, address=address)


class AccessTokenForm(forms.Form):
    description = forms.CharField(
        max_length=100,
        help_text="What this token is for, e.g. “CI on build-01” or “laptop docker login”.",
    )
    scope = forms.ChoiceField(
        choices=AccessToken.Scope.choices,
        initial=AccessToken.Scope.READ,
        widget=forms.RadioSelect,
        help_text=(
            "Read pulls; write also pushes and edits; delete also removes tags and repositories."
        ),
    )
    expires_in_days = forms.ChoiceField(
        label="Expiration",
        choices=AccessToken.Expiry.choices,
        required=False,
        initial=AccessToken.Expiry.NONE,
        help_text="After this the token stops working everywhere; “None” lasts until revoked.",
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_description(self) -> str:
        description = self.cleaned_data["description"].strip()
        if not description:
            raise ValidationError("Give the token a description.", code="required")
        active = AccessToken.objects.active().filter(user=self.user)
        if active.filter(description__iexact=description).exists():
            raise ValidationError("You already have an active token with this description.")
        return description
