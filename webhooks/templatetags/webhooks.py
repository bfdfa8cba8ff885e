from django import template

register = template.Library()


@register.simple_tag
def webhook_url(owner, view: str, webhook=None, **kwargs) -> str:
    """{% webhook_url owner "webhook-test" hook %}: the page of a repository's or a namespace's
    webhook (``owner`` is webhooks.views.Owner)."""
    if webhook is not None:
        kwargs["webhook_id"] = webhook.pk
    return owner.url(view, **kwargs)


@register.filter
def status_class(status: str) -> str:
    """A delivery's status as the build badges' colour: pending looks queued."""
    return "queued" if status == "pending" else status
