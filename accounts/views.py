from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import AccessTokenForm, LoginForm, SignUpForm
from accounts.models import AccessToken, User
from accounts.selectors import access_token_list
from accounts.services import access_token_create, access_token_revoke, user_create

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


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are signed out.")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:tokens")

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
        messages.success(self.request, "Your password has been set. You can sign in now.")
        return super().form_valid(form)


def profile(request, username: str):
    account = get_object_or_404(User, username=username, is_active=True)
    return render(request, "accounts/profile.html", {"account": account})


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    form = AccessTokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        token, raw = access_token_create(user=request.user, **form.cleaned_data)
        request.session[NEW_TOKEN_SESSION_KEY] = {"uuid": str(token.uuid), "raw": raw}
        return redirect("accounts:tokens")
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
