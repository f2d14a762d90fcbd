"""The REST API, web UI, authentication and webhooks."""
