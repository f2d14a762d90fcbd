"""The only Kubernetes API client: discovery, get/list/watch, server-side apply, delete
and a watch-based live cache, over HTTP to any cluster (the embedded one included).
"""
