"""The pull-through cache: upstream registries staff configure (``models``, ``services``,
``selectors``, the staff API in ``api/`` and pages in ``views``), the client that talks to them,
and the registry's use of both (``hub/registry/``)."""
