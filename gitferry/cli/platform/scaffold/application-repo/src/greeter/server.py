"""The greeter HTTP service: `GET /` answers with a JSON greeting, `GET /healthz` with ok.

The greeting and the environment come from the GREETING and ENVIRONMENT variables, which the
Helm chart sets from the environment's values in config-repo.
"""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def greeting() -> dict[str, str]:
    """The body of `GET /`."""
    return {
        "message": os.environ.get("GREETING", "Hello"),
        "environment": os.environ.get("ENVIRONMENT", "local"),
        "version": os.environ.get("VERSION", "dev"),
    }


class Handler(BaseHTTPRequestHandler):
    """Answers `/` and `/healthz`; anything else is 404."""

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._send(200, {"status": "ok"})
        elif self.path == "/":
            self._send(200, greeting())
        else:
            self._send(404, {"error": "not found"})

    def _send(self, code: int, body: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    port = int(os.environ.get("PORT", "8080"))
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
