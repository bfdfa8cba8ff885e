from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import AccessTokenForm, LoginForm, SignUpForm
from accounts.models import AccessToken, User
from accounts.ratelimit import RateLimitUnavailable, login_failures_clear
from accounts.selectors import access_token_list
from accounts.services import (
    AccessTokenError,
    access_token_create,
    access_token_revoke,
    user_create,
)
from hub.models import Namespace
from hub.selectors import user_repositories, user_starred

# Where a freshly created token waits, in the session, to be shown exactly once.
NEW_TOKEN_SESSION_KEY = "accounts:new-token"


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("accounts:profile", username=request.user.username)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_create(**form.cleaned_data)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to Wharf, {user.username}! Your account is ready.")
        return redirect("accounts:profile", username=user.username)
    return render(request, "accounts/signup.html", {"form": form})


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, code="unavailable"):  # Redis is away: not your fault
            response.status_code = 503
            response["Retry-After"] = str(RateLimitUnavailable.retry_after)
        return response


def admin_login(request, extra_context=None):
    """Stands in for the admin's own sign-in form, which would bypass our rate limit.

    Signed-out people go to our sign-in page and come back. Signed-in people without staff
    rights get a page saying so, with no password form: the admin would only send them back
    here, and a form here would be a second, unlimited place to guess passwords.
    """
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(next_url)
    if admin.site.has_permission(request):
        return redirect(next_url)
    return render(request, "accounts/admin_refused.html", {"next": next_url}, status=403)


class LogoutView(auth_views.LogoutView):
    # GET shows a confirmation page; signing out itself stays POST-only, so a link or an image
    # on another site cannot sign anyone out.
    http_method_names = ["get", "head", "post", "options"]
    template_name = "accounts/logout.html"

    def get(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect("home")
        return render(request, self.template_name)

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are signed out.")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"

    def get_success_url(self) -> str:
        return reverse("accounts:profile", kwargs={"username": self.request.user.username})

    def form_valid(self, form):
        messages.success(self.request, "Your password has been changed.")
        return super().form_valid(form)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        # Links point at the public URL (WHARF_URL), never at whatever Host header the request
        # carried: a forged Host must not turn our email into a phishing link.
        public = urlsplit(settings.WHARF_URL)
        form.save(
            domain_override=public.netloc,
            use_https=public.scheme == "https",
            token_generator=self.token_generator,
            from_email=self.from_email,
            email_template_name=self.email_template_name,
            subject_template_name=self.subject_template_name,
            request=self.request,
        )
        return redirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form):
        response = super().form_valid(form)
        # The lockout message tells people to reset their password; once they have, let them
        # sign in from here straight away instead of waiting out the window.
        address = self.request.META.get("REMOTE_ADDR", "")
        try:
            login_failures_clear(login=form.user.username, address=address)
        except RateLimitUnavailable:
            pass  # the new password is set; only the shortcut past the lockout is lost
        messages.success(self.request, "Your password has been set. You can sign in now.")
        return response


# Profiles list this many of each; the search page has the rest.
PROFILE_LIST_LIMIT = 50


def profile(request, username: str):
    """A user's repositories and stars, as far as the viewer may see them."""
    # Robots (acme+ci) are accounts but no one's profile.
    account = None if "+" in username else User.objects.filter(username=username, is_active=True)
    account = account.first() if account is not None else None
    if account is None:
        # Organizations share the name space: /u/acme/ is acme's page.
        if Namespace.objects.filter(name=username, kind=Namespace.Kind.ORG).exists():
            return redirect("org", org=username)
        raise Http404("No such user")
    # One row past the limit says whether there are more, without a COUNT query.
    repositories = list(
        user_repositories(owner=account, viewer=request.user)[: PROFILE_LIST_LIMIT + 1]
    )
    starred = list(user_starred(user=account, viewer=request.user)[: PROFILE_LIST_LIMIT + 1])
    context = {
        "account": account,
        "repositories": repositories[:PROFILE_LIST_LIMIT],
        "more_repositories": len(repositories) > PROFILE_LIST_LIMIT,
        "starred": starred[:PROFILE_LIST_LIMIT],
        "more_starred": len(starred) > PROFILE_LIST_LIMIT,
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    form = AccessTokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = access_token_create(user=request.user, **form.cleaned_data)
        except AccessTokenError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            request.session[NEW_TOKEN_SESSION_KEY] = {"uuid": str(token.uuid), "raw": raw}
            # A fragment of its own: the browser would keep the form's #new otherwise.
            return redirect(reverse("accounts:tokens") + "#created")
    new_token = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    context = {
        "form": form,
        "tokens": access_token_list(user=request.user),
        "new_token": new_token,
    }
    return render(request, "accounts/tokens.html", context)


@login_required
@require_POST
def token_revoke(request, token_uuid):
    token = get_object_or_404(AccessToken, uuid=token_uuid, user=request.user)
    access_token_revoke(token=token)
    messages.success(request, f"Token “{token.description}” revoked. It no longer works.")
    return redirect("accounts:tokens")
