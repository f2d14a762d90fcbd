"""One generation pass: any error aborts it with one typed error naming the generator and the
parameter set; validation excludes only the bad Applications (reference section 5.2)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gitferry.appset import generate
from gitferry.appset.errors import (
    PARAMS_GENERATION,
    RENDER_TEMPLATE,
    ParamsGenerationError,
    TemplateRenderError,
)
from gitferry.model.errors import GitFerryError, RepositoryUnreachableError
from gitferry.source.repositories import Resolved

TEMPLATE = {
    "metadata": {"name": "{{name}}"},
    "spec": {
        "project": "{{project}}",
        "destination": {"server": "{{server}}", "namespace": "ns"},
    },
}


def appset(*generators: dict[str, Any], template: Any = None, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": "shop", "namespace": "argocd"},
        "spec": {"generators": list(generators), "template": template or TEMPLATE, **spec},
    }


def element(name: str, project: str = "default", server: str = "https://x") -> dict[str, str]:
    return {"name": name, "project": project, "server": server}


def listgen(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"list": {"elements": list(elements)}}


def run(spec: dict[str, Any], **kwargs: Any) -> generate.Generated:
    return asyncio.run(generate.generate(spec, **kwargs))


def test_valid_applications_in_generation_order_with_their_parameters() -> None:
    result = run(appset(listgen(element("b"), element("a")), listgen(element("c"))))
    assert [a["metadata"]["name"] for a in result.applications] == ["b", "a", "c"]
    assert [(p.generator, p.params["name"]) for p in result.parameters] == [
        ("generators[0].list", "b"),
        ("generators[0].list", "a"),
        ("generators[1].list", "c"),
    ]
    assert result.invalid == []


def test_duplicate_names_keep_the_first_and_report_the_rest() -> None:
    result = run(appset(listgen(element("a", server="https://first")), listgen(element("a"))))
    assert [a["spec"]["destination"]["server"] for a in result.applications] == ["https://first"]
    assert result.duplicates == ["a"]
    assert result.invalid[0].message == (
        "ApplicationSet shop contains applications with duplicate name: a"
    )
    assert result.names == {"a"}


VALIDATION_CASES = {
    "name not a DNS subdomain": (element("Bad_Name"), "not a valid DNS subdomain"),
    "unresolved parameter in the name": (
        {"project": "p", "server": "s"},
        "'{{name}}' is not a valid DNS subdomain",
    ),
    "empty project": (element("a", project=""), "spec.project is empty"),
    "destination without server or name": (element("a", server=""), "set server or name"),
}


@pytest.mark.parametrize("case", VALIDATION_CASES)
def test_validation_excludes_only_the_bad_application(case: str) -> None:
    bad, message = VALIDATION_CASES[case]
    result = run(appset(listgen(bad, element("good"))))
    assert [a["metadata"]["name"] for a in result.applications] == ["good"]
    assert len(result.invalid) == 1 and message in result.invalid[0].message


def test_destination_with_both_server_and_name_is_invalid() -> None:
    template = {
        **TEMPLATE,
        "spec": {**TEMPLATE["spec"], "destination": {"server": "s", "name": "n"}},
    }
    result = run(appset(listgen(element("a")), template=template))
    assert "can't have both name and server" in result.invalid[0].message


def test_validation_message_is_the_last_error_by_name_and_a_count() -> None:
    result = run(appset(listgen(element("a", project=""), element("z", project=""))))
    assert result.validation_message() == "application z: spec.project is empty (and 1 more)"


def test_template_error_aborts_the_pass_naming_generator_and_parameters() -> None:
    template = {"metadata": {"name": "{{ .name | nosuchfn }}"}, "spec": {}}
    spec = appset(listgen(element("a")), template=template, goTemplate=True)
    with pytest.raises(TemplateRenderError) as caught:
        run(spec)
    err = caught.value
    assert err.reason == RENDER_TEMPLATE and err.generator == "generators[0].list"
    assert err.params == element("a")
    assert str(err).startswith('applicationset shop: generators[0].list: parameters {"name":"a",')
    assert 'function "nosuchfn" not defined' in str(err)


def test_generator_error_in_a_later_generator_still_aborts_everything() -> None:
    spec = appset(listgen(element("a")), {"matrix": {"generators": []}})
    with pytest.raises(ParamsGenerationError) as caught:
        run(spec)
    assert caught.value.reason == PARAMS_GENERATION
    assert caught.value.generator == "generators[1].matrix"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"scmProvider": {"github": {"organization": "x"}}},
            "scmProvider generator is not supported",
        ),
        ({"nonsense": {}}, "contains unrecognized generators: nonsense"),
        (
            {"git": {"repoURL": "https://h/r", "directories": [{"path": "*"}]}},
            "need repository access",
        ),
    ],
)
def test_generator_errors(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(ParamsGenerationError, match=message):
        run(appset(entry))


class Unreachable:
    async def resolve(self, url: str, revision: str = "HEAD") -> Resolved:
        raise RepositoryUnreachableError(f"repo {url}: connection refused")

    async def list_paths(self, url: str, sha: str, prefix: str = "") -> list[str]:
        raise AssertionError

    async def read_file(self, url: str, sha: str, path: str) -> bytes:
        raise AssertionError


def test_unreachable_repository_is_a_retryable_generation_error() -> None:
    spec = appset({"git": {"repoURL": "https://h/r", "directories": [{"path": "*"}]}})
    with pytest.raises(GitFerryError) as caught:
        run(spec, git=Unreachable())
    assert caught.value.retryable
    assert "generators[0].git: repo https://h/r: connection refused" in str(caught.value)


def test_generator_template_overrides_the_spec_template() -> None:
    override = {"metadata": {"labels": {"from": "generator"}}, "spec": {"project": "special"}}
    spec = appset({"list": {"elements": [element("a")], "template": override}})
    (app,) = run(spec).applications
    assert app["spec"]["project"] == "special"
    assert app["metadata"]["labels"] == {"from": "generator"}
    assert app["spec"]["destination"]["server"] == "https://x"


def test_parameter_sets_are_capped() -> None:
    spec = appset(listgen(*(element(f"a{i}") for i in range(5))))
    with pytest.raises(ParamsGenerationError, match="more than 3 parameter sets"):
        run(spec, options=generate.GenerateOptions(max_applications=3))


def test_no_generators_generate_nothing() -> None:
    result = run(appset())
    assert result.applications == [] and result.parameters == []
