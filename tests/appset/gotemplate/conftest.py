"""The Go reference engine for differential tests: real Go text/template + Sprig.

`py-go-template` (PyPI, a Go c-shared library) renders a template file with JSON data; it
always runs with `missingkey=error`, and on any template error its Go code prints the
message and exits the process. So a worker process forks one child per template (before the
Go runtime is loaded: a Go runtime does not survive fork), the child loads the library and
renders, and the worker reports the output or the message. Tests that use `go_reference`
skip cleanly where the package (or its x86-64 Linux library) is not available.

Known ways this reference differs from what Argo CD runs (tests avoid them): helmfile's
functions replace Sprig's `get`, `toYaml` (which keeps its final newline), `fromYaml`,
`required` and `tpl`; `env`/`expandenv` exist (Argo CD removes them); Go 1.20 (no range over
integers, no `else with`); spf13/cast 1.3 (`int "1.0"` is 0).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

_WORKER = r"""
import ctypes, importlib.util, json, os, sys, tempfile
spec = importlib.util.find_spec("go_template")
library = os.path.join(os.path.dirname(spec.origin), "bind", "template.so")
workdir = tempfile.mkdtemp(prefix="go-reference-")
path = os.path.join(workdir, "tpl")

def render(template, data):
    with open(path, "w", encoding="utf-8") as f:
        f.write(template)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        os.dup2(write, 1)
        os.dup2(write, 2)
        lib = ctypes.cdll.LoadLibrary(library)
        lib.Render.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        lib.Render.restype = ctypes.c_void_p
        out = ctypes.string_at(lib.Render(path.encode(), json.dumps(data).encode()))
        os.write(write, b"\x00OK" + out)
        os._exit(0)
    os.close(write)
    chunks = []
    while True:
        chunk = os.read(read, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    raw = b"".join(chunks)
    if raw.startswith(b"\x00OK") and os.waitstatus_to_exitcode(status) == 0:
        return [True, raw[3:].decode("utf-8", "replace")]
    text = raw.decode("utf-8", "replace").removesuffix("\n")
    for prefix in ("render template failed: ", "parse template failed: "):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return [False, text]

for line in sys.stdin:
    request = json.loads(line)
    sys.stdout.write(json.dumps(render(request["template"], request["data"])) + "\n")
    sys.stdout.flush()
"""


class GoReference:
    """Renders templates with Go's text/template + Sprig, named "tpl", missingkey=error."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def render(self, template: str, data: Any) -> tuple[bool, str]:
        """(True, output) or (False, Go's error message)."""
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps({"template": template, "data": data}) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the Go reference worker stopped")
        ok, text = json.loads(line)
        return bool(ok), str(text)

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=10)


@pytest.fixture(scope="session")
def go_reference() -> Iterator[GoReference]:
    # find_spec, not import: importing would load a Go runtime into the test process.
    if importlib.util.find_spec("go_template") is None:
        pytest.skip("py-go-template (the Go reference engine) is not installed")
    reference = GoReference()
    try:
        if reference.render("{{ .a | upper }}", {"a": "x"}) != (True, "X"):
            pytest.skip("the Go reference library does not run on this machine")
    except RuntimeError:
        pytest.skip("the Go reference library does not run on this machine")
    yield reference
    reference.close()
