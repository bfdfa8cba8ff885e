"""Writes on upstream registries. The staff pages and the API call these, after asking
``hub.permissions_admin.upstreams_administered``.

Each raises ``django.core.exceptions.ValidationError({field: [message]})`` so forms and the API
show the message next to the field. The password is write-only: it is stored encrypted, never
returned, logged or recorded; ``password=None`` on update keeps it and ``""`` removes it.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.names import validate_username as validate_namespace_name
from hub import crypto
from hub.events import event_record
from hub.models import Namespace, Repository
from proxy import validation
from proxy.models import Upstream

logger = logging.getLogger(__name__)

EDITABLE = {"name", "url", "username", "password", "namespace", "tls_verify", "is_mirror",
            "pull_access"}  # fmt: skip
# What events and logs may say about an upstream: everything but the password.
SHOWN = ("name", "url", "username", "tls_verify", "is_mirror", "pull_access")
MIRROR_RACE = "Another upstream was made the mirror at the same moment; try again."
NAMESPACE_FIXED = (
    "The proxy namespace cannot change: pulls and cached repositories use it. Delete the "
    "upstream and add it again to use another."
)


def _check(errors: dict, field: str, check, value):
    try:
        return check(value)
    except ValidationError as error:
        errors[field] = error.messages
        return None


def _clean(fields: dict) -> dict:
    """The given fields, checked and normalised; ValidationError({field: [messages]})."""
    errors, clean = {}, {}
    checks = {
        "name": validation.validate_name,
        "url": validation.validate_url,
        "username": validation.validate_username,
    }
    for field, check in checks.items():
        if field in fields:
            clean[field] = _check(errors, field, check, fields[field])
    if fields.get("password") is not None:
        clean["password"] = _check(
            errors, "password", validation.validate_password, fields["password"]
        )
    if "pull_access" in fields:
        if fields["pull_access"] in Upstream.PullAccess.values:
            clean["pull_access"] = fields["pull_access"]
        else:
            choices = " or ".join(f"“{value}”" for value in Upstream.PullAccess.values)
            errors["pull_access"] = [f"Choose {choices}."]
    for field in ("tls_verify", "is_mirror"):
        if field in fields:
            clean[field] = bool(fields[field])
    if errors:
        raise ValidationError(errors)
    return clean


def _namespace_free(name: str) -> str:
    """``name`` if a new proxy namespace may take it: the rules of organization names, and no
    user, organization or other upstream holding it (they share one name space)."""
    name = (name or "").strip()
    try:
        validate_namespace_name(name)
    except ValidationError as error:
        message = " ".join(error.messages).replace("Usernames", "Namespace names")
        raise ValidationError({"namespace": [message]}) from None
    holder = Namespace.objects.filter(name=name).first()
    if holder is not None and holder.is_proxy:
        raise ValidationError(
            {"namespace": [f"{name} is already the namespace of another upstream."]}
        )
    if holder is not None and holder.is_org:
        raise ValidationError(
            {"namespace": [f"{name} is an organization; choose another namespace."]}
        )
    if holder is not None or User.objects.filter(username=name).exists():
        raise ValidationError({"namespace": [f"{name} is a user's namespace; choose another."]})
    return name


def _name_free(name: str, upstream: Upstream | None = None) -> None:
    taken = Upstream.objects.filter(name=name)
    if upstream is not None:
        taken = taken.exclude(pk=upstream.pk)
    if taken.exists():
        raise ValidationError({"name": [f"There is an upstream named {name} already."]})


def _shown(upstream: Upstream) -> dict:
    return {
        **{field: getattr(upstream, field) for field in SHOWN},
        "namespace": upstream.namespace.name,
        "has_password": upstream.has_password,
    }


def _record(action: str, upstream: Upstream, **data) -> None:
    event_record(action=action, namespace=upstream.namespace.name, data=data)


def _take_mirror(upstream: Upstream) -> None:
    """Make ``upstream`` the only mirror: the previous one stops being it, with an event."""
    previous = Upstream.objects.select_for_update().select_related("namespace")
    for other in previous.filter(is_mirror=True).exclude(pk=upstream.pk):
        other.is_mirror = False
        other.updated_at = timezone.now()
        other.save(update_fields=["is_mirror", "updated_at"])
        _record("upstream.updated", other, name=other.name, changed=["is_mirror"], is_mirror=False)
        logger.info("upstream %s is no longer the mirror (%s is)", other.name, upstream.name)


def _save(upstream: Upstream, **kwargs) -> None:
    """Save, turning a lost race for the mirror into a message (the unique constraint)."""
    try:
        with transaction.atomic():
            upstream.save(**kwargs)
    except IntegrityError:
        if upstream.is_mirror and Upstream.objects.filter(is_mirror=True).exists():
            raise ValidationError({"is_mirror": [MIRROR_RACE]}) from None
        raise ValidationError(
            {"name": [f"There is an upstream named {upstream.name} already."]}
        ) from None


@transaction.atomic
def upstream_create(
    *,
    name: str,
    url: str,
    namespace: str = "",
    username: str = "",
    password: str = "",
    tls_verify: bool = True,
    is_mirror: bool = False,
    pull_access: str = Upstream.PullAccess.SIGNED_IN,
) -> Upstream:
    """A new upstream with its proxy namespace (``namespace``; its ``name`` when empty), owned
    by no one. Marking it the mirror takes that from the previous one."""
    clean = _clean(
        {
            "name": name,
            "url": url,
            "username": username,
            "password": password or "",
            "tls_verify": tls_verify,
            "is_mirror": is_mirror,
            "pull_access": pull_access,
        }
    )
    _name_free(clean["name"])
    try:
        namespace_name = _namespace_free(namespace or clean["name"])
    except ValidationError as error:
        if namespace:
            raise
        hint = " (The namespace is the upstream's name unless you give one.)"
        raise ValidationError({"namespace": [error.messages[0] + hint]}) from None
    try:
        with transaction.atomic():
            holder = Namespace.objects.create(name=namespace_name, kind=Namespace.Kind.PROXY)
    except IntegrityError:  # taken in parallel
        raise ValidationError({"namespace": [f"{namespace_name} was taken just now."]}) from None
    password = clean.pop("password")
    upstream = Upstream(namespace=holder, password_encrypted=crypto.encrypt(password), **clean)
    if upstream.is_mirror:
        _take_mirror(upstream)
    _save(upstream)
    _record("upstream.created", upstream, **_shown(upstream))
    logger.info("upstream %s added: %s as %s/", upstream.name, upstream.url, namespace_name)
    return upstream


@transaction.atomic
def upstream_update(*, upstream: Upstream, **fields) -> Upstream:
    """Change what is given. ``password``: None (or left out) keeps it, "" removes it.
    ``namespace`` may be given only as it is (cached repositories live under it)."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    if "namespace" in fields:
        if (fields.pop("namespace") or "").strip() != upstream.namespace.name:
            raise ValidationError({"namespace": [NAMESPACE_FIXED]})
    clean = _clean(fields)
    if "name" in clean:
        _name_free(clean["name"], upstream)
    changed, previous_name = [], upstream.name
    if "password" in clean:
        stored = crypto.encrypt(clean.pop("password"))
        if stored != upstream.password_encrypted:  # Fernet never repeats: set means changed
            upstream.password_encrypted = stored
            changed.append("password")
    for field, value in clean.items():
        if getattr(upstream, field) != value:
            setattr(upstream, field, value)
            changed.append(field)
    if not changed:
        return upstream
    if "is_mirror" in changed and upstream.is_mirror:
        _take_mirror(upstream)
    upstream.updated_at = timezone.now()
    columns = ["password_encrypted" if field == "password" else field for field in changed]
    _save(upstream, update_fields=[*columns, "updated_at"])
    if "pull_access" in changed:
        # Its cached repositories are private exactly when it is for those signed in
        # (hub/permissions.py); saving the upstream bumps the registry's access epoch.
        Repository.objects.filter(namespace=upstream.namespace).update(
            is_private=upstream.pull_access != Upstream.PullAccess.PUBLIC
        )
    data = {"name": upstream.name, "changed": sorted(changed)}
    data.update({field: getattr(upstream, field) for field in changed if field in SHOWN})
    if "name" in changed:
        data["previous_name"] = previous_name
    if "password" in changed:
        data["has_password"] = upstream.has_password
    _record("upstream.updated", upstream, **data)
    logger.info("upstream %s changed: %s", upstream.name, ", ".join(sorted(changed)))
    return upstream


@transaction.atomic
def upstream_delete(*, upstream: Upstream) -> int:
    """The upstream, its namespace and every repository cached in it (through
    ``hub.services.repository_delete``, so each has its event; gc frees the blobs). Returns how
    many repositories went."""
    from hub.services import repository_delete

    namespace = upstream.namespace
    repositories = Repository.objects.select_related("namespace").filter(namespace=namespace)
    count = 0
    for repository in repositories:
        repository_delete(repository=repository)
        count += 1
    _record("upstream.deleted", upstream, name=upstream.name, url=upstream.url, repositories=count)
    upstream.delete()
    namespace.delete()
    logger.info("upstream %s deleted with %d cached repositories", upstream.name, count)
    return count
