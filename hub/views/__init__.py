"""The hub's HTML pages, one module per concept; the registry's views live in hub.registry."""
