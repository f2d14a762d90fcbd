"""Typed `ApplicationSource` (Argo CD's `spec.source` / `spec.sources[]`), read from the dicts
stored in Application objects.

Only the fields are typed here; their meaning (type detection, options) is applied by `render`
and `source`. Parsing is lenient where Argo CD is lenient (unknown keys are kept in `raw`) and
strict where a wrong type would silently change behaviour. Called by `render`, the CLI's
offline commands and the controller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gitferry.model.errors import InvalidSpecError

Json = dict[str, Any]


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidSpecError(f"{where}: must be a list")
    return value


def _str(value: Any, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidSpecError(f"{where}: must be a string")
    return str(value)


def _bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


@dataclass(frozen=True)
class HelmParameter:
    name: str
    value: str
    force_string: bool = False


@dataclass(frozen=True)
class HelmFileParameter:
    name: str
    path: str


@dataclass(frozen=True)
class HelmOptions:
    """`source.helm`."""

    release_name: str = ""
    namespace: str = ""
    value_files: tuple[str, ...] = ()
    ignore_missing_value_files: bool = False
    values: str = ""
    values_object: Json | None = None
    parameters: tuple[HelmParameter, ...] = ()
    file_parameters: tuple[HelmFileParameter, ...] = ()
    skip_crds: bool = False
    skip_tests: bool = False
    skip_schema_validation: bool = False
    pass_credentials: bool = False
    kube_version: str = ""
    api_versions: tuple[str, ...] = ()

    @classmethod
    def parse(cls, data: Json, where: str) -> HelmOptions:
        values = data.get("values")
        values_object: Any
        if isinstance(values, dict):  # tolerated by Argo CD's JSON unmarshalling of YAML apps
            values_text = ""
            values_object = values
        else:
            values_text = _str(values, f"{where}.values")
            values_object = data.get("valuesObject")
        if values_object is not None and not isinstance(values_object, dict):
            raise InvalidSpecError(f"{where}.valuesObject: must be an object")
        return cls(
            release_name=_str(data.get("releaseName"), f"{where}.releaseName"),
            namespace=_str(data.get("namespace"), f"{where}.namespace"),
            value_files=tuple(
                _str(v, f"{where}.valueFiles") for v in _list(data.get("valueFiles"), where)
            ),
            ignore_missing_value_files=_bool(data.get("ignoreMissingValueFiles")),
            values=values_text,
            values_object=values_object,
            parameters=tuple(
                HelmParameter(
                    _str(p.get("name"), f"{where}.parameters.name"),
                    _str(p.get("value"), f"{where}.parameters.value"),
                    _bool(p.get("forceString")),
                )
                for p in _list(data.get("parameters"), f"{where}.parameters")
            ),
            file_parameters=tuple(
                HelmFileParameter(
                    _str(p.get("name"), f"{where}.fileParameters.name"),
                    _str(p.get("path"), f"{where}.fileParameters.path"),
                )
                for p in _list(data.get("fileParameters"), f"{where}.fileParameters")
            ),
            skip_crds=_bool(data.get("skipCrds")),
            skip_tests=_bool(data.get("skipTests")),
            skip_schema_validation=_bool(data.get("skipSchemaValidation")),
            pass_credentials=_bool(data.get("passCredentials")),
            kube_version=_str(data.get("kubeVersion"), f"{where}.kubeVersion"),
            api_versions=tuple(str(v) for v in _list(data.get("apiVersions"), where)),
        )


@dataclass(frozen=True)
class KustomizeOptions:
    """`source.kustomize`; kept as the raw dict, since every option is written into a
    kustomization as-is (see `render.kustomize`)."""

    raw: Json = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)


@dataclass(frozen=True)
class DirectoryOptions:
    """`source.directory`."""

    recurse: bool = False
    include: str = ""
    exclude: str = ""
    jsonnet: Json | None = None

    @classmethod
    def parse(cls, data: Json, where: str) -> DirectoryOptions:
        jsonnet = data.get("jsonnet")
        return cls(
            recurse=_bool(data.get("recurse")),
            include=_str(data.get("include"), f"{where}.include"),
            exclude=_str(data.get("exclude"), f"{where}.exclude"),
            jsonnet=jsonnet if isinstance(jsonnet, dict) and jsonnet else None,
        )


def _present(data: Json, key: str) -> bool:
    """Whether a tool block is set and non-zero (the controller nulls zero-valued blocks)."""
    value = data.get(key)
    if value is None:
        return False
    if key == "plugin":
        return True
    if not isinstance(value, dict):
        raise InvalidSpecError(f"spec.source.{key}: must be an object")
    if key == "directory":
        return any(value.get(k) for k in ("recurse", "include", "exclude", "jsonnet"))
    return any(v not in (None, "", [], {}, False) for v in value.values())


@dataclass(frozen=True)
class ApplicationSource:
    """One source of an Application."""

    repo_url: str
    path: str = ""
    target_revision: str = ""
    chart: str = ""
    ref: str = ""
    name: str = ""
    helm: HelmOptions | None = None
    kustomize: KustomizeOptions | None = None
    directory: DirectoryOptions | None = None
    plugin: Json | None = None
    raw: Json = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, data: Any, where: str = "spec.source") -> ApplicationSource:
        if not isinstance(data, dict):
            raise InvalidSpecError(f"{where}: must be an object")
        return cls(
            repo_url=_str(data.get("repoURL"), f"{where}.repoURL"),
            path=_str(data.get("path"), f"{where}.path"),
            target_revision=_str(data.get("targetRevision"), f"{where}.targetRevision"),
            chart=_str(data.get("chart"), f"{where}.chart"),
            ref=_str(data.get("ref"), f"{where}.ref"),
            name=_str(data.get("name"), f"{where}.name"),
            helm=HelmOptions.parse(data["helm"], f"{where}.helm")
            if _present(data, "helm")
            else None,
            kustomize=KustomizeOptions(dict(data["kustomize"]))
            if _present(data, "kustomize")
            else None,
            directory=DirectoryOptions.parse(data["directory"], f"{where}.directory")
            if _present(data, "directory")
            else None,
            plugin=data["plugin"] if _present(data, "plugin") else None,
            raw=data,
        )

    @property
    def is_helm_chart(self) -> bool:
        """A chart from a Helm repository or OCI registry (not a chart in a Git path)."""
        return bool(self.chart)

    @property
    def is_oci(self) -> bool:
        return self.repo_url.startswith("oci://")

    @property
    def is_ref_only(self) -> bool:
        return bool(self.ref) and not self.path and not self.chart

    @property
    def revision(self) -> str:
        """The revision to resolve: HEAD when empty for Git sources."""
        return self.target_revision or ("" if self.chart else "HEAD")

    def explicit_types(self) -> list[str]:
        """The tool blocks present, in Argo CD's order (for the "multiple sources" error)."""
        found = []
        for label, present in (
            ("Kustomize", self.kustomize),
            ("Helm", self.helm),
            ("Directory", self.directory),
            ("Plugin", self.plugin),
        ):
            if present is not None:
                found.append(label)
        return found
