"""The OpenAPI v3 documents the embedded API server publishes at `/openapi/v3`.

kubectl 1.32 reads them for strategic-merge metadata (client-side apply), to decide whether
the server validates fields itself (`--validate=strict`), and for `kubectl explain`. The last
tests serve the documents to the real kubectl binary when it is installed.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from gitferry.apiserver import catalog, openapi

META = "io.k8s.apimachinery.pkg.apis.meta.v1."

APPLICATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "description": "The application's desired state.",
            "properties": {
                "project": {"type": "string", "description": "The Argo CD project."},
                "destination": {
                    "type": "object",
                    "properties": {
                        "server": {"type": "string"},
                        "namespace": {"type": "string"},
                    },
                },
            },
            "required": ["project"],
        },
        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    },
}


def application(**changes: Any) -> catalog.ResourceType:
    fields: dict[str, Any] = dict(
        group="argoproj.io",
        version="v1alpha1",
        versions=("v1alpha1",),
        kind="Application",
        plural="applications",
        singular="application",
        namespaced=True,
        builtin=False,
        crd_schema=APPLICATION_SCHEMA,
    )
    return catalog.ResourceType(**(fields | changes))


def document(api: openapi.OpenAPI, path: str) -> dict[str, Any]:
    body = api.document(path)
    assert body is not None, path
    parsed: dict[str, Any] = orjson.loads(body)
    return parsed


def index_paths(api: openapi.OpenAPI) -> dict[str, str]:
    paths = orjson.loads(api.index())["paths"]
    return {path: entry["serverRelativeURL"] for path, entry in paths.items()}


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair of a JSON document, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


BUILTIN_GROUP_VERSIONS = sorted(
    f"apis/{group}/{version}" if group else f"api/{version}"
    for group, versions in catalog.Catalog().groups().items()
    for version in versions
)


def test_index_lists_every_group_version_of_the_catalog() -> None:
    urls = index_paths(openapi.OpenAPI(catalog.Catalog()))

    assert sorted(urls) == BUILTIN_GROUP_VERSIONS
    for path, url in urls.items():
        assert url.startswith(f"/openapi/v3/{path}?hash=")


@pytest.mark.parametrize("path", BUILTIN_GROUP_VERSIONS)
def test_every_document_is_self_contained_openapi_3(path: str) -> None:
    doc = document(openapi.OpenAPI(catalog.Catalog()), path)

    assert doc["openapi"] == "3.0.0"
    assert doc["info"] == {"title": "Kubernetes", "version": "v1.32.0"}
    schemas = doc["components"]["schemas"]
    for key, value in walk(doc):
        if key == "$ref" and isinstance(value, str):
            assert value.removeprefix("#/components/schemas/") in schemas, value
        # `kubectl explain` crashes on JSON-Schema type arrays.
        assert not (key == "type" and isinstance(value, list)), value


def test_deployment_schema_keeps_its_strategic_merge_metadata() -> None:
    schemas = document(openapi.OpenAPI(catalog.Catalog()), "apis/apps/v1")["components"]["schemas"]

    deployment = schemas["io.k8s.api.apps.v1.Deployment"]
    assert deployment["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}
    ]
    containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["x-kubernetes-list-map-keys"] == ["name"]
    assert containers["items"] == {"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"}
    # A reference with its own markers is wrapped, as OpenAPI 3.0 ignores `$ref` siblings.
    strategy = schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["strategy"]
    assert strategy["x-kubernetes-patch-strategy"] == "retainKeys"
    assert strategy["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy"}
    ]
    assert schemas[META + "ObjectMeta"]["properties"]["name"]["type"] == "string"


# (group-version document, path, group-version-kind its PATCH operation carries)
PATCH_OPERATIONS = [
    ("apis/apps/v1", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
     {"group": "apps", "version": "v1", "kind": "Deployment"}),
    ("apis/apps/v1", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status",
     {"group": "apps", "version": "v1", "kind": "Deployment"}),
    ("apis/apps/v1", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale",
     {"group": "autoscaling", "version": "v1", "kind": "Scale"}),
    ("api/v1", "/api/v1/namespaces/{name}",
     {"group": "", "version": "v1", "kind": "Namespace"}),
    ("api/v1", "/api/v1/namespaces/{namespace}/configmaps/{name}",
     {"group": "", "version": "v1", "kind": "ConfigMap"}),
    ("apis/rbac.authorization.k8s.io/v1", "/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}",
     {"group": "rbac.authorization.k8s.io", "version": "v1", "kind": "ClusterRole"}),
]  # fmt: skip


@pytest.mark.parametrize(("gv", "path", "gvk"), PATCH_OPERATIONS)
def test_patch_operations_advertise_their_kind_and_field_validation(
    gv: str, path: str, gvk: dict[str, str]
) -> None:
    doc = document(openapi.OpenAPI(catalog.Catalog()), gv)

    patch = doc["paths"][path]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == gvk
    # Inline: kubectl's check does not follow `$ref`s to components.parameters.
    assert {"name": "fieldValidation", "in": "query"}.items() <= patch["parameters"][2].items()
    assert "application/strategic-merge-patch+json" in patch["requestBody"]["content"]


def test_paths_follow_the_resource_scope() -> None:
    paths = document(openapi.OpenAPI(catalog.Catalog()), "api/v1")["paths"]

    configmaps = paths["/api/v1/namespaces/{namespace}/configmaps"]
    assert set(configmaps) == {"parameters", "get", "post", "delete"}
    assert configmaps["post"]["requestBody"]["content"]["*/*"]["schema"] == {
        "$ref": "#/components/schemas/io.k8s.api.core.v1.ConfigMap"
    }
    assert paths["/api/v1/configmaps"]["get"]["x-kubernetes-action"] == "list"
    assert "/api/v1/namespaces/{namespace}/nodes" not in paths
    assert set(paths["/api/v1/nodes/{name}"]) == {"parameters", "get", "put", "patch", "delete"}


@pytest.mark.parametrize("path", ["apis/nope.io/v1", "api/v2", "apis/apps", "apis//v1", "api"])
def test_unknown_group_versions_have_no_document(path: str) -> None:
    assert openapi.OpenAPI(catalog.Catalog()).document(path) is None


def test_documents_are_cached_until_invalidated() -> None:
    api = openapi.OpenAPI(catalog.Catalog())

    first = api.document("apis/apps/v1")
    assert api.document("/apis/apps/v1/") is first
    api.invalidate()
    again = api.document("apis/apps/v1")
    assert again is not first and again == first


def test_a_custom_resource_gets_a_document_and_changes_the_index() -> None:
    served = catalog.Catalog()
    api = openapi.OpenAPI(served)
    before = index_paths(api)

    served.add(application())
    api.invalidate()
    after = index_paths(api)

    assert set(after) - set(before) == {"apis/argoproj.io/v1alpha1"}
    assert {path: after[path] for path in before} == before
    doc = document(api, "apis/argoproj.io/v1alpha1")
    item = "/apis/argoproj.io/v1alpha1/namespaces/{namespace}/applications/{name}"
    patch = doc["paths"][item]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "argoproj.io",
        "version": "v1alpha1",
        "kind": "Application",
    }
    assert "application/strategic-merge-patch+json" not in patch["requestBody"]["content"]

    served.add(application(crd_schema={"type": "object"}))
    api.invalidate()
    changed = index_paths(api)
    assert changed["apis/argoproj.io/v1alpha1"] != after["apis/argoproj.io/v1alpha1"]
    assert changed["apis/apps/v1"] == after["apis/apps/v1"]


def test_a_custom_resource_schema_adds_the_standard_object_fields() -> None:
    served = catalog.Catalog()
    served.add(application(versions=("v1alpha1", "v1beta1")))
    api = openapi.OpenAPI(served)

    schemas = document(api, "apis/argoproj.io/v1beta1")["components"]["schemas"]

    app = schemas["io.argoproj.v1beta1.Application"]
    assert app["x-kubernetes-group-version-kind"] == [
        {"group": "argoproj.io", "version": "v1beta1", "kind": "Application"}
    ]
    assert set(app["properties"]) == {"apiVersion", "kind", "metadata", "spec", "status"}
    assert app["properties"]["metadata"]["allOf"] == [
        {"$ref": f"#/components/schemas/{META}ObjectMeta"}
    ]
    assert app["properties"]["spec"]["required"] == ["project"]
    items = schemas["io.argoproj.v1beta1.ApplicationList"]["properties"]["items"]
    assert items["items"] == {"$ref": "#/components/schemas/io.argoproj.v1beta1.Application"}
    assert META + "ManagedFieldsEntry" in schemas


def test_a_custom_resource_without_a_schema_keeps_unknown_fields() -> None:
    served = catalog.Catalog()
    served.add(application(crd_schema=None))

    schemas = document(openapi.OpenAPI(served), "apis/argoproj.io/v1alpha1")["components"]
    app = schemas["schemas"]["io.argoproj.v1alpha1.Application"]

    assert app["x-kubernetes-preserve-unknown-fields"] is True
    assert set(app["properties"]) == {"apiVersion", "kind", "metadata"}


# --- the real kubectl -------------------------------------------------------------------------

KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32"
needs_kubectl = pytest.mark.skipif(not os.path.exists(KUBECTL), reason="kubectl.1.32 missing")


class FakeCluster(http.server.ThreadingHTTPServer):
    """Discovery, the OpenAPI documents under test, and a naive object store for apply."""

    def __init__(self, served: catalog.Catalog) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.catalog = served
        self.openapi = openapi.OpenAPI(served)
        self.objects: dict[str, bytes] = {}
        self.writes: list[tuple[str, str, str, dict[str, Any]]] = []


class _Handler(http.server.BaseHTTPRequestHandler):
    server: FakeCluster

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path.rstrip("/")
        if path == "/openapi/v3":
            return self._reply(200, self.server.openapi.index())
        if path.startswith("/openapi/v3/"):
            return self._reply(200, self.server.openapi.document(path.removeprefix("/openapi/v3/")))
        if body := self._discovery(path):
            return self._reply(200, orjson.dumps(body))
        return self._reply(200, self.server.objects.get(path))

    def do_POST(self) -> None:
        body = self._write()
        name = orjson.loads(body)["metadata"]["name"]
        self.server.objects[f"{self.path.split('?')[0]}/{name}"] = body
        self._reply(201, body)

    def do_PATCH(self) -> None:
        self._write()
        self._reply(200, self.server.objects.get(self.path.split("?")[0]))

    def _write(self) -> bytes:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        url = urllib.parse.urlsplit(self.path)
        self.server.writes.append(
            (self.command, self.headers["Content-Type"], url.query, orjson.loads(body))
        )
        return body

    def _discovery(self, path: str) -> dict[str, Any] | None:
        groups = self.server.catalog.groups()
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
        if path == "/apis":
            return {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [
                    {
                        "name": group,
                        "versions": [{"groupVersion": f"{group}/{v}", "version": v} for v in vs],
                        "preferredVersion": {"groupVersion": f"{group}/{vs[0]}", "version": vs[0]},
                    }
                    for group, vs in groups.items()
                    if group
                ],
            }
        parts = path.split("/")
        if parts[1:2] == ["api"] and len(parts) == 3:
            group, version = "", parts[2]
        elif parts[1:2] == ["apis"] and len(parts) == 4:
            group, version = parts[2], parts[3]
        else:
            return None
        resources = [
            {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
             "kind": r.kind, "verbs": list(catalog.VERBS), "shortNames": list(r.short_names)}
            for r in self.server.catalog.in_group_version(group, version)
        ]  # fmt: skip
        group_version = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "groupVersion": group_version, "resources": resources}

    def _reply(self, code: int, body: bytes | None) -> None:
        if body is None:
            code = 404
            body = orjson.dumps(
                {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                 "code": 404, "message": "not found"}
            )  # fmt: skip
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def cluster() -> Iterator[FakeCluster]:
    served = catalog.Catalog()
    served.add(application())
    server = FakeCluster(served)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def kubectl(cluster: FakeCluster, tmp_path: Path) -> Any:
    host, port = cluster.server_address[:2]
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
        f"clusters: [{{name: fake, cluster: {{server: 'http://{host!s}:{port}'}}}}]\n"
        "users: [{name: fake, user: {token: dummy}}]\n"
        "contexts: [{name: fake, context: {cluster: fake, user: fake, namespace: default}}]\n"
    )
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "KUBECACHEDIR": str(tmp_path)}

    def run(*args: str, stdin: str = "") -> str:
        done = subprocess.run(
            [KUBECTL, "--kubeconfig", str(config), *args],
            input=stdin, capture_output=True, text=True, env=env, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    return run


@needs_kubectl
@pytest.mark.e2e
@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("deployment.spec.strategy", ["FIELD: strategy <DeploymentStrategy>", "rollingUpdate"]),
        ("deployment.spec.strategy.rollingUpdate.maxSurge", ["<IntOrString>"]),
        ("pod.spec.containers", ["<[]Container>", "imagePullPolicy"]),
        ("configmap", ["KIND:       ConfigMap", "binaryData"]),
        ("application.spec", ["The application's desired state.", "project\t<string> -required-"]),
        ("application.metadata", ["<ObjectMeta>", "managedFields"]),
    ],
)
def test_kubectl_explain_reads_the_documents(kubectl: Any, field: str, expected: list[str]) -> None:
    output = kubectl("explain", field)

    for text in expected:
        assert text in output


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  strategy: %s
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        env: %s
"""

APPLICATION = """
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: guestbook}
spec: {project: %s}
"""


@needs_kubectl
@pytest.mark.e2e
def test_kubectl_apply_validates_on_the_server_and_patches_strategically(
    kubectl: Any, cluster: FakeCluster
) -> None:
    rolling = "{type: RollingUpdate, rollingUpdate: {maxSurge: 1}}"
    both = "[{name: A, value: '1'}, {name: B, value: '1'}]"
    kubectl("apply", "-f", "-", stdin=DEPLOYMENT % (rolling, both))
    kubectl("apply", "-f", "-", stdin=DEPLOYMENT % ("{type: Recreate}", "[{name: B, value: '2'}]"))

    (post, _, post_query, _), (patch, patch_type, patch_query, body) = cluster.writes
    assert (post, patch) == ("POST", "PATCH")
    assert "fieldValidation=Strict" in post_query and "fieldValidation=Strict" in patch_query
    assert patch_type == "application/strategic-merge-patch+json"
    # Markers on a wrapped reference (`allOf`) are read too.
    assert body["spec"]["strategy"] == {
        "$retainKeys": ["type"],
        "rollingUpdate": None,
        "type": "Recreate",
    }
    pod = body["spec"]["template"]["spec"]
    assert pod["$setElementOrder/containers"] == [{"name": "web"}]
    assert pod["containers"][0]["env"] == [
        {"name": "B", "value": "2"},
        {"$patch": "delete", "name": "A"},
    ]


@needs_kubectl
@pytest.mark.e2e
def test_kubectl_apply_of_a_custom_resource_validates_on_the_server(
    kubectl: Any, cluster: FakeCluster
) -> None:
    kubectl("apply", "-f", "-", stdin=APPLICATION % "default")
    kubectl("apply", "-f", "-", stdin=APPLICATION % "team-a")

    (post, _, post_query, _), (patch, patch_type, patch_query, body) = cluster.writes
    assert (post, patch) == ("POST", "PATCH")
    assert "fieldValidation=Strict" in post_query and "fieldValidation=Strict" in patch_query
    assert patch_type == "application/merge-patch+json"
    assert body["spec"] == {"project": "team-a"}
