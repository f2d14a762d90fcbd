"""The embedded Kubernetes-compatible API server, backed by SQLite: an island.

It imports only `_kit` and `observe`; the engine reaches it over HTTP like any other
cluster, and only `cli` and `testing` start it.
"""
