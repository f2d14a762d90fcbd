"""The clusters generator: one parameter set per cluster Secret, plus the local cluster.

Secrets count when labelled `argocd.argoproj.io/secret-type=cluster` and matched by the
generator's `selector`; they are read in (namespace, name) order and keyed by `data.name`
(two Secrets naming the same cluster collapse into one, the later wins). Parameters:

    fasttemplate              goTemplate                  value
    name, nameNormalized      .name, .nameNormalized      data.name, normalize(data.name)
    server, project           .server, .project           data.server, data.project or ""
    metadata.labels.<k>       .metadata.labels            Secret labels (map[string]string)
    metadata.annotations.<k>  .metadata.annotations       Secret annotations
    values.<k>                .values                     `values`, each rendered against
                                                          the parameters above

The local cluster (`in-cluster`, https://kubernetes.default.svc, no metadata) comes last,
only with an empty selector and when no selected Secret already names that server.
`flatList: true` gives one set `{clusters: [...all sets...]}`. `data` is base64 as stored;
`stringData` (as written in files) is read too. Called by `dispatch`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from gitferry.appset import selectors
from gitferry.appset.errors import GeneratorFailure
from gitferry.appset.generators import Context
from gitferry.appset.gotemplate.values import StrMap
from gitferry.appset.params import Params, normalize
from gitferry.appset.templating import RenderFailure

SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"
LOCAL_SERVER = "https://kubernetes.default.svc"
LOCAL_NAME = "in-cluster"


async def generate(body: dict[str, Any], ctx: Context) -> list[Params]:
    raw_selector = body.get("selector") or {}
    try:
        selector = selectors.parse(raw_selector, extra={SECRET_TYPE_LABEL: "cluster"})
        user_selector = selectors.parse(raw_selector)
    except selectors.SelectorError as err:
        raise GeneratorFailure(f"error converting label selector: {err}") from None
    clusters: dict[str, tuple[Mapping[str, Any], dict[str, str]]] = {}
    for secret in sorted(ctx.clusters, key=_identity):
        meta = secret.get("metadata") or {}
        if secret.get("kind", "Secret") != "Secret":
            continue
        if not selector.matches(_strings(meta.get("labels"))):
            continue
        data = _secret_data(secret)
        clusters[data.get("name", "")] = (secret, data)
    values = body.get("values") or {}
    out: list[Params] = []
    for secret, data in clusters.values():
        meta = secret.get("metadata") or {}
        params: Params = {
            "name": data.get("name", ""),
            "nameNormalized": normalize(data.get("name", "")),
            "server": data.get("server", ""),
            "project": data.get("project", ""),
        }
        labels = _strings(meta.get("labels"))
        annotations = _strings(meta.get("annotations"))
        if ctx.go_template:
            metadata: dict[str, Any] = {}
            if annotations:
                metadata["annotations"] = StrMap(annotations)
            if labels:
                metadata["labels"] = StrMap(labels)
            params["metadata"] = metadata
        else:
            params.update({f"metadata.annotations.{k}": v for k, v in annotations.items()})
            params.update({f"metadata.labels.{k}": v for k, v in labels.items()})
        out.append(add_values(params, values, ctx))
    if user_selector.empty and not any(
        d.get("server") == LOCAL_SERVER for _, d in clusters.values()
    ):
        local: Params = {
            "name": LOCAL_NAME,
            "nameNormalized": LOCAL_NAME,
            "server": LOCAL_SERVER,
            "project": "",
        }
        out.append(add_values(local, values, ctx))
    if body.get("flatList"):
        return [{"clusters": out}]
    return out


def add_values(params: Params, values: Any, ctx: Context) -> Params:
    """`params` plus the generator's `values`, each rendered against `params` only."""
    if not values:
        return params
    if not isinstance(values, dict):
        raise GeneratorFailure("values must be a map of strings")
    rendered: dict[str, str] = {}
    for key, value in values.items():
        try:
            rendered[str(key)] = ctx.renderer.render(_value_text(value), params)
        except RenderFailure as err:
            raise GeneratorFailure(f"failed to append templated values: {err}") from None
    if ctx.go_template:
        return {**params, "values": StrMap(rendered)}
    return {**params, **{f"values.{k}": v for k, v in rendered.items()}}


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _identity(secret: Mapping[str, Any]) -> tuple[str, str]:
    meta = secret.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _strings(mapping: Any) -> dict[str, str]:
    if not isinstance(mapping, dict):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in mapping.items()}


def _secret_data(secret: Mapping[str, Any]) -> dict[str, str]:
    """`data` decoded from base64, then `stringData` on top (as the API server merges)."""
    out: dict[str, str] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            out[str(key)] = base64.b64decode(str(value), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            name = (secret.get("metadata") or {}).get("name", "")
            raise GeneratorFailure(
                f"cluster Secret {name}: data.{key} is not base64 text; use stringData for "
                "plain values"
            ) from None
    for key, value in (secret.get("stringData") or {}).items():
        out[str(key)] = "" if value is None else str(value)
    return out
