"""The greeter answers with its greeting and its health."""

import json
import threading
import urllib.request
from http.server import ThreadingHTTPServer

from greeter.server import Handler


def _get(path: str) -> tuple[int, dict[str, str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}{path}"
        with urllib.request.urlopen(url) as response:
            return response.status, json.loads(response.read())
    finally:
        server.shutdown()


def test_greets_with_the_configured_message(monkeypatch):
    monkeypatch.setenv("GREETING", "Hello from test")
    status, body = _get("/")
    assert status == 200
    assert body["message"] == "Hello from test"


def test_reports_healthy():
    assert _get("/healthz") == (200, {"status": "ok"})
