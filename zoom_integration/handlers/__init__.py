"""Webhook handlers, one module per part of the integration; each registers with `inbox.dispatch.register`.

They sit above the features and `jobs`: a handler calls a feature's service and, where work must
follow in a task, a `jobs` helper. `ZoomIntegrationConfig.ready()` imports every module here.
"""
