"""Settings → Webhooks pages: a repository's (its admins) and a namespace's, for all its
repositories (the account itself, an organization's owners). Anyone else gets a 404, the same
as a missing page.

One set of views serves both: repository routes pass ``name``, namespace routes do not.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from hub.models import Namespace, Repository
from hub.permissions_admin import namespace_access
from hub.services import namespace_for_user
from hub.views.common import repository_context, repository_for, repository_url
from webhooks import selectors, services
from webhooks.conf import setting
from webhooks.forms import WebhookForm, add_service_errors
from webhooks.models import Webhook

DELIVERIES_PER_PAGE = 20


@dataclass(frozen=True)
class Owner:
    """Whose webhooks a page shows: a repository's, or a namespace's (None: not made yet)."""

    repository: Repository | None = None
    namespace: Namespace | None = None
    namespace_name: str = ""

    def url(self, view: str, **kwargs) -> str:
        if self.repository is not None:
            return repository_url(self.repository, f"repository-{view}", **kwargs)
        return reverse(f"namespace-{view}", kwargs={"namespace": self.namespace_name, **kwargs})

    @property
    def lookup(self) -> dict:
        if self.repository is not None:
            return {"repository": self.repository}
        return {"namespace": self.namespace}

    @property
    def label(self) -> str:
        return self.repository.display_name if self.repository else self.namespace_name

    @property
    def is_org(self) -> bool:
        return self.namespace is not None and self.namespace.is_org


def _owner(request, namespace: str, name: str | None, *, create: bool = False) -> Owner:
    if name is not None:
        repository = repository_for(request, namespace, name, admin=True)
        return Owner(repository=repository, namespace_name=repository.namespace.name)
    row = Namespace.objects.filter(name=namespace).first()
    if row is None and not User.objects.filter(username=namespace, is_active=True).exists():
        raise Http404("No such namespace")
    if not namespace_access(request.user, row, namespace).admin:
        raise Http404("No such page")
    if row is None and create:  # the account's first namespace setting
        row = namespace_for_user(user=request.user)
    return Owner(namespace=row, namespace_name=namespace)


def _context(request, owner: Owner, **extra) -> dict:
    if owner.repository is not None:
        context = repository_context(request, owner.repository, "settings")
        context["base_template"] = "webhooks/repository_base.html"
        namespace = owner.repository.namespace
        if namespace_access(request.user, namespace).admin:
            context["namespace_webhooks_url"] = reverse(
                "namespace-webhooks", kwargs={"namespace": namespace.name}
            )
    else:
        context = {"base_template": "webhooks/namespace_base.html"}
    context.update(
        owner=owner,
        owner_webhooks_url=owner.url("webhooks"),
        disable_after_days=setting("WHARF_WEBHOOK_DISABLE_AFTER_DAYS"),
    )
    context.update(extra)
    return context


def _webhook(owner: Owner, webhook_id: int) -> Webhook:
    return selectors.webhook_get(webhook_id=webhook_id, **owner.lookup)


@require_http_methods(["GET", "POST"])
def webhook_list(request, namespace: str, name: str | None = None):
    owner = _owner(request, namespace, name, create=request.method == "POST")
    form = WebhookForm(
        request.POST or None,
        initial={"active": True, "events": ["push"]},
        repository=owner.repository is not None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            webhook = services.webhook_create(
                **owner.lookup, by=request.user, **form.service_fields()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Webhook {webhook.name} added. Press Test to try it.")
            return redirect(owner.url("webhook", webhook_id=webhook.pk))
    webhooks = list(selectors.webhooks_of(**owner.lookup))
    context = _context(request, owner, webhooks=webhooks, form=form)
    return render(request, "webhooks/list.html", context)


def _history(request, webhook: Webhook) -> dict:
    deliveries = selectors.deliveries_of(webhook=webhook)
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    return {"page": page, "deliveries": page.object_list}


@require_http_methods(["GET", "POST"])
def webhook_detail(request, namespace: str, webhook_id: int, name: str | None = None):
    owner = _owner(request, namespace, name)
    webhook = _webhook(owner, webhook_id)
    if request.GET.get("fragment") == "history":
        # The history alone: the page fetches it again while a delivery is pending.
        context = {"owner": owner, "webhook": webhook, **_history(request, webhook)}
        response = render(request, "webhooks/history.html", context)
        response["Cache-Control"] = "no-store"
        return response
    initial = {"name": webhook.name, "url": webhook.url, "events": webhook.events}
    initial["active"] = webhook.active
    form = WebhookForm(
        request.POST or None,
        initial=initial,
        has_secret=webhook.has_secret,
        repository=owner.repository is not None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_update(webhook=webhook, **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Webhook {webhook.name} saved.")
            return redirect(owner.url("webhook", webhook_id=webhook.pk))
    context = _context(request, owner, webhook=webhook, form=form, **_history(request, webhook))
    return render(request, "webhooks/detail.html", context)


@require_POST
def webhook_toggle(request, namespace: str, webhook_id: int, name: str | None = None):
    owner = _owner(request, namespace, name)
    webhook = _webhook(owner, webhook_id)
    services.webhook_update(webhook=webhook, active=not webhook.active)
    state = "on" if webhook.active else "off"
    messages.success(request, f"Webhook {webhook.name} turned {state}.")
    if request.POST.get("back") == "list":
        return redirect(owner.url("webhooks"))
    return redirect(owner.url("webhook", webhook_id=webhook.pk))


@require_POST
def webhook_test(request, namespace: str, webhook_id: int, name: str | None = None):
    owner = _owner(request, namespace, name)
    webhook = _webhook(owner, webhook_id)
    services.webhook_ping(webhook=webhook, user=request.user)
    messages.success(request, f"Test ping to {webhook.name} queued: its delivery is below.")
    return redirect(owner.url("webhook", webhook_id=webhook.pk) + "#deliveries")


@require_POST
def webhook_delete(request, namespace: str, webhook_id: int, name: str | None = None):
    owner = _owner(request, namespace, name)
    webhook = _webhook(owner, webhook_id)
    services.webhook_delete(webhook=webhook)
    messages.success(request, f"Webhook {webhook.name} deleted with its delivery history.")
    return redirect(owner.url("webhooks"))


@require_POST
def delivery_redeliver(
    request, namespace: str, webhook_id: int, delivery_id: int, name: str | None = None
):
    owner = _owner(request, namespace, name)
    webhook = _webhook(owner, webhook_id)
    delivery = selectors.delivery_get(webhook=webhook, delivery_id=delivery_id)
    services.delivery_redeliver(delivery=delivery)
    messages.success(request, f"The {delivery.action} event is being sent again.")
    return redirect(owner.url("webhook", webhook_id=webhook.pk) + "#deliveries")
