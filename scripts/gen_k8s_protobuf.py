"""Generate `gitferry/apiserver/protobuf_types.json`, the message table of the protobuf decoder.

Where the data comes from: a kubectl binary (default: the image's 1.32 build). Two things are
read out of it, so that the table matches exactly what that kubectl sends:

1. The `generated.proto` descriptors of k8s.io/api and k8s.io/apimachinery. Go's protobuf
   registry embeds each one as a gzip-compressed `FileDescriptorProto`; we scan for gzip
   headers, inflate, and keep the files whose name ends in `generated.proto`. They give every
   message's field numbers, wire types and message types.
2. The Go struct behind each message, from the binary's reflection data (runtime type
   descriptors: `abi.StructType` and its fields' names and tags). It gives what protobuf does
   not: the JSON name (`json:"hostPort,omitempty"`; `json:",inline"` fields are merged into
   their parent), and whether a zero scalar appears in the JSON form. gogo-protobuf writes
   every non-pointer field, zero or not, while Go's JSON drops zero non-pointer scalars tagged
   `omitempty`; those fields are marked so the decoder drops their zeros too. Pointer fields
   are written by both only when set, so their zeros are kept (`replicas: 0`).

Only the messages the embedded server may receive are kept: the kinds served by
`gitferry.apiserver.catalog.BUILTINS` and every message they reference. (CustomResourceDefinition
is not in kubectl's registry: kubectl never sends it as protobuf.)

Table format (`messages`: short message name -> field number -> entry):

    entry = [json name ("" = inline), type] or [json name, type, 1] (drop when zero)
    type  = "s" string | "y" bytes | "b" bool | "i" int32/int64 | <message name>;
            "*" prefix = repeated; "<key type>><value type>" = map
    kinds = {"<apiVersion>/<kind>": <message name>}

Message names drop the `k8s.io.api.` / `k8s.io.apimachinery.pkg.(apis.|util.|api.)` prefix
(`apps.v1.Deployment`, `meta.v1.Time`, `intstr.IntOrString`, `resource.Quantity`).

The script stops rather than write a table the decoder cannot use: on a scalar type other
than those above, or a message with no Go struct that `protobuf.SPECIAL` does not convert
(e.g. meta.v1.Duration, which no served kind uses today).

Regenerate (after a kubectl upgrade, or a change to the served kinds):

    .venv/bin/python scripts/gen_k8s_protobuf.py [/path/to/kubectl]

Needs the `protobuf` package (a dev dependency; the server itself never imports it).
"""

from __future__ import annotations

import argparse
import json
import posixpath
import re
import struct
import sys
import zlib
from array import array
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf import message as pb_message

from gitferry.apiserver import catalog, protobuf

DEFAULT_KUBECTL = Path("/usr/lib/google-cloud-sdk/bin/kubectl.1.32")
OUTPUT = Path(__file__).resolve().parents[1] / "gitferry" / "apiserver" / "protobuf_types.json"
GZIP_MAGIC = b"\x1f\x8b\x08\x00\x00\x00\x00\x00"
PREFIXES = (
    "k8s.io.api.",
    "k8s.io.apimachinery.pkg.apis.",
    "k8s.io.apimachinery.pkg.util.",
    "k8s.io.apimachinery.pkg.api.",
    "k8s.io.apimachinery.pkg.",
)
FDP = descriptor_pb2.FieldDescriptorProto
SCALARS = {
    FDP.TYPE_STRING: "s",
    FDP.TYPE_BYTES: "y",
    FDP.TYPE_BOOL: "b",
    FDP.TYPE_INT32: "i",
    FDP.TYPE_INT64: "i",
}
# Go reflect kinds (internal/abi) of the scalars whose zero Go's JSON omits under omitempty.
GO_SCALAR_KINDS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 24}
GO_KIND_STRUCT, GO_KIND_MASK = 25, 0x1F


def short_name(full_name: str) -> str:
    name = full_name.lstrip(".")
    for prefix in PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


# --- 1. descriptors -------------------------------------------------------------------------


def descriptors(binary: bytes) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    """Every embedded `*generated.proto` descriptor, by file name."""
    found: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    start = binary.find(GZIP_MAGIC)
    while start >= 0:
        try:
            data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(memoryview(binary)[start:])
            proto = descriptor_pb2.FileDescriptorProto.FromString(data)
        except (zlib.error, pb_message.DecodeError):  # most gzip-looking bytes are not
            proto = None
        if proto is not None and proto.name.endswith("generated.proto"):
            found[proto.name] = proto
        start = binary.find(GZIP_MAGIC, start + 1)
    return found


# --- 2. Go structs --------------------------------------------------------------------------


@dataclass(frozen=True)
class GoField:
    json_name: str  # "" for `json:",inline"`
    omit_zero: bool  # non-pointer scalar tagged omitempty


class GoImage:
    """Reads Go runtime type descriptors (Go >= 1.21 layout, amd64) out of a static binary."""

    def __init__(self, binary: bytes) -> None:
        self.data = binary
        self.sections = _elf_sections(binary)
        self.rodata_addr, self.rodata_off, self.rodata_size = self.sections[".rodata"]

    def offset(self, vaddr: int) -> int:
        for addr, off, size in self.sections.values():
            if addr <= vaddr < addr + size:
                return off + vaddr - addr
        raise KeyError(hex(vaddr))

    def name(self, vaddr: int) -> tuple[str, str]:
        """An `abi.Name`: flag byte, varint length, bytes, then the tag if the flag says so."""
        pos = self.offset(vaddr)
        flag = self.data[pos]
        length, pos = _varint(self.data, pos + 1)
        name = self.data[pos : pos + length].decode()
        tag = ""
        if flag & 2:
            length, pos = _varint(self.data, pos + length)
            tag = self.data[pos : pos + length].decode()
        return name, tag

    def type_name(self, pos: int) -> str:
        """`abi.Type.Str` (`v1.Deployment`), at file offset `pos`."""
        (name_off,) = struct.unpack_from("<i", self.data, pos + 40)
        name, _ = self.name(self.rodata_addr + name_off)
        return name[1:] if self.data[pos + 20] & 2 else name  # TFlagExtraStar

    def package(self, pos: int) -> str:
        """The package path from the `abi.UncommonType` after a named struct type."""
        if not self.data[pos + 20] & 1:  # TFlagUncommon
            return ""
        (name_off,) = struct.unpack_from("<i", self.data, pos + 80)
        return self.name(self.rodata_addr + name_off)[0]

    def structs(self) -> dict[tuple[str, str], dict[int, GoField]]:
        """Struct types with protobuf-tagged fields: (package, name) -> number -> field.

        A struct type is found by its shape: `abi.StructType` is a 48-byte `abi.Type` whose
        kind is Struct, a package name, then the fields slice (pointer, len == cap)."""
        words = array("Q", self.data[self.rodata_off : self.rodata_off + self.rodata_size // 8 * 8])
        low, high = self.rodata_addr, self.rodata_addr + self.rodata_size
        found: dict[tuple[str, str], dict[int, GoField]] = {}
        for index in range(len(words) - 10):
            count = words[index + 8]
            if not 0 < count < 300 or words[index + 9] != count:
                continue
            fields_addr = words[index + 7]
            pos = self.rodata_off + index * 8
            if (
                not low <= fields_addr < high
                or self.data[pos + 23] & GO_KIND_MASK != GO_KIND_STRUCT
            ):
                continue
            try:
                fields = self._fields(self.offset(fields_addr), count)
                key = (self.package(pos), self.type_name(pos).rpartition(".")[2])
            except (KeyError, UnicodeDecodeError, IndexError, struct.error):
                continue
            if fields:
                found[key] = fields
        return found

    def _fields(self, pos: int, count: int) -> dict[int, GoField]:
        fields: dict[int, GoField] = {}
        for index in range(count):
            name_addr, type_addr, _ = struct.unpack_from("<QQQ", self.data, pos + 24 * index)
            _, tag = self.name(name_addr)
            number = re.search(r'protobuf:"\w+,(\d+),', tag)
            json_tag = re.search(r'json:"([^"]*)"', tag)
            if number is None or json_tag is None:
                continue
            json_name, _, options = json_tag.group(1).partition(",")
            kind = self.data[self.offset(type_addr) + 23] & GO_KIND_MASK
            omit_zero = "omitempty" in options.split(",") and kind in GO_SCALAR_KINDS
            fields[int(number.group(1))] = GoField(json_name, omit_zero)
        return fields


def _elf_sections(binary: bytes) -> dict[str, tuple[int, int, int]]:
    """ELF64 section name -> (virtual address, file offset, size)."""
    (header_off,) = struct.unpack_from("<Q", binary, 0x28)
    entry_size, count, names_index = struct.unpack_from("<HHH", binary, 0x3A)
    raw = [struct.unpack_from("<IIQQQQ", binary, header_off + i * entry_size) for i in range(count)]
    names_off = raw[names_index][4]
    sections = {}
    for name_off, _, _, addr, off, size in raw:
        start = names_off + name_off
        sections[binary[start : binary.index(b"\0", start)].decode()] = (addr, off, size)
    return sections


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


# --- 3. the table ---------------------------------------------------------------------------


def root_messages(files: dict[str, descriptor_pb2.FileDescriptorProto]) -> dict[str, str]:
    """`apiVersion/kind` -> message name, for every served built-in version kubectl knows."""
    roots: dict[str, str] = {}
    for resource in catalog.BUILTINS:
        for version in resource.versions:
            package = f"k8s.io.api.{resource.group.split('.')[0] or 'core'}.{version}"
            full = f"{package}.{resource.kind}"
            if any(
                f"{proto.package}.{message.name}" == full
                for proto in files.values()
                for message in proto.message_type
            ):
                roots[f"{resource.api_version(version)}/{resource.kind}"] = short_name(full)
            else:
                print(f"skipped {resource.api_version(version)}/{resource.kind}: not in kubectl")
    return roots


Table = dict[str, dict[str, list[object]]]


def build_table(binary: bytes) -> tuple[dict[str, str], Table]:
    """The served kinds' root messages, and every message reachable from them."""
    files = descriptors(binary)
    go_structs = GoImage(binary).structs()
    messages: dict[str, tuple[descriptor_pb2.DescriptorProto, str]] = {}
    for proto in files.values():
        go_package = posixpath.dirname(proto.name)
        for message in proto.message_type:
            name = short_name(f"{proto.package}.{message.name}")
            messages[name] = (message, go_package)
            for nested in message.nested_type:  # map entries
                messages[f"{name}.{nested.name}"] = (nested, "")
    roots = root_messages(files)
    table: Table = {}
    pending = sorted(set(roots.values()))
    while pending:
        name = pending.pop()
        if name in table:
            continue
        message, go_package = messages[name]
        go_fields = go_structs.get((go_package, message.name))
        if go_fields is None and name not in protobuf.SPECIAL:
            raise SystemExit(f"{name}: no Go struct found, and the decoder has no converter")
        table[name] = {}
        for field in message.field:
            entry, refs = _entry(field, messages, (go_fields or {}).get(field.number))
            table[name][str(field.number)] = entry
            pending.extend(ref for ref in refs if ref not in table)
    return dict(sorted(roots.items())), dict(sorted(table.items()))


def _entry(
    field: descriptor_pb2.FieldDescriptorProto,
    messages: dict[str, tuple[descriptor_pb2.DescriptorProto, str]],
    go_field: GoField | None,
) -> tuple[list[object], list[str]]:
    """A field's table entry, and the messages it references."""
    refs: list[str] = []
    if field.type == FDP.TYPE_MESSAGE:
        ref = short_name(field.type_name)
        entry_message = messages[ref][0]
        if entry_message.options.map_entry:
            key, value = entry_message.field
            types = [_type(key), _type(value)]
            refs.extend(t for t in types if t not in SCALARS.values())
            kind = ">".join(types)
        else:
            refs.append(ref)
            kind = ref
    else:
        kind = _type(field)
    if field.label == FDP.LABEL_REPEATED and ">" not in kind:
        kind = "*" + kind
    # Messages with custom JSON (Time, IntOrString, RawExtension...) have no tagged Go fields,
    # or `json:"-"` ones: the decoder converts them by their protobuf field names.
    json_name = field.name if go_field is None or go_field.json_name == "-" else go_field.json_name
    entry: list[object] = [json_name, kind]
    if go_field is not None and go_field.omit_zero:
        entry.append(1)
    return entry, refs


def _type(field: descriptor_pb2.FieldDescriptorProto) -> str:
    if field.type == FDP.TYPE_MESSAGE:
        return short_name(field.type_name)
    if field.type not in SCALARS:
        raise SystemExit(f"{field.name}: unsupported protobuf type {field.type}")
    return SCALARS[field.type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kubectl", nargs="?", type=Path, default=DEFAULT_KUBECTL)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    kinds, messages = build_table(args.kubectl.read_bytes())
    # One message per line: small, and a regeneration diffs message by message.
    lines = [json.dumps(name) + ":" + _compact(fields) for name, fields in messages.items()]
    text = '{"kinds":' + _compact(kinds) + ',\n"messages":{\n' + ",\n".join(lines) + "}}\n"
    args.output.write_text(text)
    print(f"wrote {args.output}: {len(messages)} messages, {len(text)} bytes")
    return 0


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


if __name__ == "__main__":
    sys.exit(main())
