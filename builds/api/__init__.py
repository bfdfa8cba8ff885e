"""The builds REST API: trigger, list and follow builds; build settings, rules and webhooks.

One module per concept: ``builds`` (history, detail, cancel, logs), ``settings`` (git URL,
trigger secret, rules) and ``webhooks`` (the secret-checked trigger URL git hosts call).
"""
