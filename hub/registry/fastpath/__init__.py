"""The registry's read path without Django: GET/HEAD of manifests, blobs and ``/v2/``.

Clusters and CI fleets poll tags with HEAD requests all day. Those answers are served here, in
the ASGI app itself, from per-process caches — without Django's middleware, the thread hop to
its sync views, or a database query — whenever the caches can answer exactly as Django would.
Anything else (a cache miss that cannot be filled, an error, Basic credentials, a Range, a
pusher's blob HEAD, a build's token) is passed on unchanged to Django's views, which remain the
one definition of the registry's behaviour.

Exactness comes from epochs (``epochs``): random values in Redis that every change bumps after
it commits, one for everything that decides who may read what, one per repository for its
content. Every request reads both (one round trip) and uses only cache entries made under the
values it read, so the request after a change always sees it, whichever process serves it.
"""
