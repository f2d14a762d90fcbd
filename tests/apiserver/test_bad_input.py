"""Bad requests get the answer a real kube-apiserver gives, and nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from gitferry.testing.cluster import RunningCluster

pytestmark = pytest.mark.e2e


@pytest.fixture
def api(cluster: RunningCluster) -> Iterator[httpx.Client]:
    with cluster.http() as client:
        yield client


def _cm(name: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "1"}}


JSON = {"Content-Type": "application/json"}
APPLY = {"Content-Type": "application/apply-patch+yaml"}

# (id, method, path under the namespace, headers, body, status, reason, message fragment)
CASES = [
    (
        "malformed-json",
        "POST",
        "configmaps",
        JSON,
        b'{"apiVersion": "v1", "kind": ',
        400,
        "BadRequest",
        "json parse error",
    ),
    (
        "malformed-yaml-apply",
        "PATCH",
        "configmaps/bad?fieldManager=t",
        APPLY,
        b"metadata: {name: bad\n  data: [",
        400,
        "BadRequest",
        "error decoding YAML",
    ),
    (
        "apply-without-field-manager",
        "PATCH",
        "configmaps/nofm",
        APPLY,
        b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"nofm"}}',
        422,
        "Invalid",
        "fieldManager: Required value: is required for apply patch",
    ),
    (
        "invalid-name",
        "POST",
        "configmaps",
        JSON,
        b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}}',
        422,
        "Invalid",
        'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase '
        "RFC 1123 subdomain",
    ),
    (
        "unknown-resource",
        "GET",
        "widgets",
        {},
        b"",
        404,
        "NotFound",
        "the server could not find the requested resource",
    ),
    (
        "strict-unknown-field",
        "POST",
        "configmaps?fieldValidation=Strict",
        JSON,
        b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"strict"},"dta":{}}',
        400,
        "BadRequest",
        'strict decoding error: unknown field "dta"',
    ),
    (
        "wrong-kind-for-endpoint",
        "POST",
        "configmaps",
        JSON,
        b'{"apiVersion":"v1","kind":"Secret","metadata":{"name":"wrongkind"}}',
        400,
        "BadRequest",
        "cannot be handled as a ConfigMap",
    ),
    (
        "resource-version-on-create",
        "POST",
        "configmaps",
        JSON,
        b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"rv","resourceVersion":"5"}}',
        500,
        None,
        "resourceVersion should not be set on objects to be created",
    ),
    (
        "smp-on-missing-object",
        "PATCH",
        "configmaps/missing",
        {"Content-Type": "application/strategic-merge-patch+json"},
        b'{"data":{"a":"2"}}',
        404,
        "NotFound",
        'configmaps "missing" not found',
    ),
    (
        "force-on-merge-patch",
        "PATCH",
        "configmaps/x?force=true",
        {"Content-Type": "application/merge-patch+json"},
        b"{}",
        422,
        "Invalid",
        "force: Forbidden: may not be specified for non-apply patch",
    ),
    (
        "unsupported-patch-type",
        "PATCH",
        "configmaps/x",
        {"Content-Type": "text/plain"},
        b"{}",
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "reason", "message"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_request_answers_like_kube_apiserver(
    api: httpx.Client,
    namespace: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
    reason: str | None,
    message: str,
) -> None:
    before = api.get(f"/api/v1/namespaces/{namespace}/configmaps").json()
    response = api.request(
        method, f"/api/v1/namespaces/{namespace}/{path}", headers=headers, content=body
    )
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["kind"] == "Status" and answer["status"] == "Failure"
    assert answer["code"] == status
    assert answer.get("reason") == reason
    assert message in answer["message"]
    after = api.get(f"/api/v1/namespaces/{namespace}/configmaps").json()
    assert len(after["items"]) == len(before["items"]), "a refused request stored something"


def test_oversized_body_is_refused(api: httpx.Client, namespace: str) -> None:
    body = (
        b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"x":"'
        + (b"a" * (4 * 1024 * 1024))
        + b'"}}'
    )
    response = api.post(f"/api/v1/namespaces/{namespace}/configmaps", content=body, headers=JSON)
    assert response.status_code == 413
    assert response.json()["reason"] == "RequestEntityTooLarge"
    assert api.get(f"/api/v1/namespaces/{namespace}/configmaps/big").status_code == 404


def test_stale_resource_version_is_a_conflict(api: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps"
    created = api.post(url, json=_cm("occ")).json()
    stale = dict(created, data={"a": "2"})
    assert api.put(f"{url}/occ", json=stale).status_code == 200
    again = api.put(f"{url}/occ", json=dict(created, data={"a": "3"}))
    assert again.status_code == 409
    assert again.json()["message"] == (
        'Operation cannot be fulfilled on configmaps "occ": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert api.get(f"{url}/occ").json()["data"] == {"a": "2"}


def test_create_twice_is_already_exists(api: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps"
    assert api.post(url, json=_cm("twice")).status_code == 201
    second = api.post(url, json=_cm("twice"))
    assert second.status_code == 409
    assert second.json()["reason"] == "AlreadyExists"
    assert second.json()["details"] == {"name": "twice", "kind": "configmaps"}


def test_missing_namespace_and_missing_token(api: httpx.Client, cluster: RunningCluster) -> None:
    missing = api.post("/api/v1/namespaces/nowhere/configmaps", json=_cm("x"))
    assert missing.status_code == 404
    assert missing.json()["message"] == 'namespaces "nowhere" not found'
    anonymous = httpx.get(f"{cluster.url}/api/v1/namespaces", verify=cluster.ssl_context())
    assert anonymous.status_code == 401
    assert anonymous.json()["reason"] == "Unauthorized"


def test_list_pages_with_limit_and_continue_return_every_object(
    api: httpx.Client, namespace: str
) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps"
    for i in range(7):
        api.post(url, json=_cm(f"page-{i}")).raise_for_status()
    everything = [i["metadata"]["name"] for i in api.get(url).json()["items"]]
    names: list[str] = []
    token = ""
    pages = 0
    while True:
        page = api.get(url, params={"limit": 3, **({"continue": token} if token else {})}).json()
        names += [item["metadata"]["name"] for item in page["items"]]
        pages += 1
        token = page["metadata"].get("continue", "")
        if not token:
            break
        assert page["metadata"]["remainingItemCount"] == len(everything) - len(names)
    assert names == everything and pages == -(-len(everything) // 3)
    assert {f"page-{i}" for i in range(7)} <= set(names)
