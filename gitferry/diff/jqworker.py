"""The jq worker process: runs `ignoreDifferences` jq programs for `diff.jqpaths.JqRunner`.

libjq cannot be interrupted from Python, so a runaway expression (`[range(1e9)]`) would hold
the calling thread forever; it runs here instead, in a process the runner kills when a call
outlives its timeout. Started as a script (`python jqworker.py MEMORY_LIMIT`), it imports only
the standard library, `jq` and `orjson`, caps its own address space so an expression cannot
exhaust the machine's memory, and exits when its standard input closes (the parent is gone).

Once started it writes one READY byte. Frames, all lengths 4-byte big-endian:
  request  = len(program) program len(document) document      (UTF-8, JSON)
  response = status(1 byte: 0 ok, 1 failure) len(payload) payload
where an ok payload is the single output document as JSON, and a failure payload is a message.
Compiled programs are cached (most recently used kept).
"""

from __future__ import annotations

import resource
import struct
import sys
from collections import OrderedDict
from typing import Any, BinaryIO

import jq
import orjson

CACHE_SIZE = 256
READY = b"\x00"
_LEN = struct.Struct(">I")


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    data = stream.read(size)
    return data if data is not None and len(data) == size else None


def _read_field(stream: BinaryIO) -> bytes | None:
    header = _read_exact(stream, _LEN.size)
    if header is None:
        return None
    return _read_exact(stream, _LEN.unpack(header)[0])


def _run(cache: OrderedDict[str, Any], program: str, document: bytes) -> tuple[int, bytes]:
    compiled = cache.get(program)
    if compiled is None:
        try:
            compiled = jq.compile(program)
        except ValueError as err:
            return 1, f"JQ patch does not compile: {err}".encode()
        cache[program] = compiled
        if len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    else:
        cache.move_to_end(program)
    try:
        outputs = iter(compiled.input_text(document.decode()))
        first = next(outputs, _NOTHING)
        if first is _NOTHING:
            return 1, b"JQ patch did not return any data"
        if next(outputs, _NOTHING) is not _NOTHING:
            return 1, b"JQ patch returned multiple objects"
    except ValueError as err:
        return 1, f"JQ patch returned error: {err}".encode()
    return 0, orjson.dumps(first)


_NOTHING = object()


def main() -> None:
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    cache: OrderedDict[str, Any] = OrderedDict()
    stdout.write(READY)
    stdout.flush()
    while True:
        program = _read_field(stdin)
        document = _read_field(stdin) if program is not None else None
        if program is None or document is None:
            return
        try:
            status, payload = _run(cache, program.decode(), document)
        except MemoryError:
            status, payload = 1, b"JQ patch exceeded the memory limit"
        stdout.write(bytes([status]) + _LEN.pack(len(payload)) + payload)
        stdout.flush()


if __name__ == "__main__":
    main()
