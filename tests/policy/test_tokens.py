"""Project role tokens (reference 2.8): issued with Argo CD's claims, recorded in the project,
listed newest first, accepted only while signed, unexpired and still recorded (by `jti`, or by
`iat` for tokens without one), and refused once revoked. Errors never show the token."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from gitferry.policy import rbac, tokens

SECRET = b"0123456789abcdef0123456789abcdef"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ISSUED = int(NOW.timestamp())


def shop(**status: Any) -> dict[str, Any]:
    project: dict[str, Any] = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "shop", "namespace": "argocd"},
        "spec": {
            "roles": [
                {"name": "ci", "policies": ["p, proj:shop:ci, applications, sync, shop/*, allow"]},
                {"name": "viewer"},
            ]
        },
    }
    if status:
        project["status"] = status
    return project


def issued(token_id: str = "t1", expires_in: timedelta | None = None) -> tuple[str, dict[str, Any]]:
    """A token for shop/ci and the project that records it."""
    record = tokens.new_record(token_id=token_id, now=NOW, expires_in=expires_in)
    project = tokens.record_token(shop(), "ci", record)
    token = tokens.issue_token(
        "shop", "ci", secret=SECRET, expires_in=expires_in, now=NOW, token_id=token_id
    )
    return token, project


def payload(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def test_a_token_carries_argo_cds_claims() -> None:
    token, _ = issued(expires_in=timedelta(hours=1))
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert payload(token) == {
        "iss": "argocd",
        "sub": "proj:shop:ci",
        "exp": ISSUED + 3600,
        "nbf": ISSUED,
        "iat": ISSUED,
        "jti": "t1",
    }


def test_a_token_without_expiry_has_no_exp() -> None:
    token, _ = issued()
    assert "exp" not in payload(token)


def test_a_recorded_token_verifies_to_its_claims() -> None:
    token, project = issued(expires_in=timedelta(hours=1))
    claims = tokens.verify_token(token, secret=SECRET, projects={"shop": project}, now=NOW)
    assert claims.sub == "proj:shop:ci"
    assert claims.extra["jti"] == "t1"
    assert claims.extra["iat"] == ISSUED


def test_verified_claims_act_as_the_project_role() -> None:
    token, project = issued()
    claims = tokens.verify_token(token, secret=SECRET, projects={"shop": project}, now=NOW)
    enforcer = rbac.Enforcer()
    enforcer.set_project_roles(project)
    assert enforcer.enforce(claims, "sync", "applications", "shop/web")
    assert not enforcer.enforce(claims, "sync", "applications", "other/web")


def test_the_project_records_the_token_in_status_and_spec() -> None:
    _, project = issued(expires_in=timedelta(minutes=5))
    record = {"iat": ISSUED, "exp": ISSUED + 300, "id": "t1"}
    assert project["status"]["jwtTokensByRole"] == {"ci": {"items": [record]}}
    assert project["spec"]["roles"][0]["jwtTokens"] == [record]
    assert "jwtTokens" not in project["spec"]["roles"][1]


def test_tokens_are_listed_newest_first_from_status_and_legacy_spec() -> None:
    project = shop(jwtTokensByRole={"ci": {"items": [{"iat": 100, "id": "a"}]}})
    project["spec"]["roles"][0]["jwtTokens"] = [{"iat": 300, "id": "c"}, {"iat": 200}]
    assert tokens.list_tokens(project, "ci") == [
        tokens.TokenRecord(id="c", issued_at=300),
        tokens.TokenRecord(id="200", issued_at=200),  # no id: the issue time is its id
        tokens.TokenRecord(id="a", issued_at=100),
    ]
    assert tokens.list_tokens(project, "viewer") == []


def test_recording_refuses_an_unknown_role_or_a_used_id() -> None:
    _, project = issued()
    record = tokens.new_record(token_id="t1", now=NOW, expires_in=None)
    with pytest.raises(tokens.TokenError, match="token id 't1' has been used"):
        tokens.record_token(project, "ci", record)
    with pytest.raises(tokens.TokenError, match="role 'deployer' does not exist"):
        tokens.record_token(project, "deployer", record)


def test_recording_leaves_the_given_project_untouched() -> None:
    original = shop()
    tokens.record_token(original, "ci", tokens.TokenRecord(id="x", issued_at=1))
    assert original == shop()


def test_a_revoked_token_is_refused() -> None:
    token, project = issued()
    revoked = tokens.revoke_token(project, "ci", "t1")
    assert tokens.list_tokens(revoked, "ci") == []
    assert revoked["spec"]["roles"][0].get("jwtTokens") is None
    with pytest.raises(tokens.TokenError, match="revoked or unknown"):
        tokens.verify_token(token, secret=SECRET, projects={"shop": revoked}, now=NOW)


def test_revoking_an_unknown_id_is_an_error() -> None:
    _, project = issued()
    with pytest.raises(tokens.TokenError, match="no token with id 'nope'"):
        tokens.revoke_token(project, "ci", "nope")


def test_revoking_one_token_keeps_the_others() -> None:
    first, project = issued("t1")
    second = tokens.issue_token(
        "shop", "ci", secret=SECRET, expires_in=None, now=NOW, token_id="t2"
    )
    project = tokens.record_token(
        project, "ci", tokens.new_record(token_id="t2", now=NOW, expires_in=None)
    )
    project = tokens.revoke_token(project, "ci", "t1")
    projects = {"shop": project}
    # Same issue second as the revoked token: a token with a jti is matched by its id only.
    with pytest.raises(tokens.TokenError):
        tokens.verify_token(first, secret=SECRET, projects=projects, now=NOW)
    assert tokens.verify_token(second, secret=SECRET, projects=projects, now=NOW).sub == (
        "proj:shop:ci"
    )


def test_a_legacy_token_without_jti_is_matched_by_issue_time() -> None:
    legacy = jwt.encode(
        {"iss": "argocd", "sub": "proj:shop:ci", "iat": ISSUED}, SECRET, algorithm="HS256"
    )
    project = shop()
    project["spec"]["roles"][0]["jwtTokens"] = [{"iat": ISSUED}]
    claims = tokens.verify_token(legacy, secret=SECRET, projects={"shop": project}, now=NOW)
    assert claims.sub == "proj:shop:ci"
    with pytest.raises(tokens.TokenError, match="revoked or unknown"):
        tokens.verify_token(legacy, secret=SECRET, projects={"shop": shop()}, now=NOW)


# when, relative to issue time; accepted
EXPIRY = [(timedelta(0), True), (timedelta(minutes=59), True), (timedelta(hours=1), False)]


@pytest.mark.parametrize(("after", "accepted"), EXPIRY)
def test_expiry(after: timedelta, accepted: bool) -> None:
    token, project = issued(expires_in=timedelta(hours=1))
    projects = {"shop": project}
    if accepted:
        tokens.verify_token(token, secret=SECRET, projects=projects, now=NOW + after)
    else:
        with pytest.raises(tokens.TokenError, match="has expired"):
            tokens.verify_token(token, secret=SECRET, projects=projects, now=NOW + after)


def test_a_token_used_before_it_was_issued_is_refused() -> None:
    token, project = issued()
    with pytest.raises(tokens.TokenError, match="not valid yet"):
        tokens.verify_token(
            token, secret=SECRET, projects={"shop": project}, now=NOW - timedelta(seconds=1)
        )


def forged(claims: dict[str, Any], *, key: bytes = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


GOOD = {"iss": "argocd", "sub": "proj:shop:ci", "iat": ISSUED, "jti": "t1"}

# token, message
REFUSED = [
    (forged(GOOD, key=b"another-secret-of-32-bytes-long!"), "signature is invalid"),
    (forged(GOOD, key=SECRET * 2, algorithm="HS512"), "not a well-formed HS256 JWT"),
    ("not-a-token", "not a well-formed HS256 JWT"),
    (forged({**GOOD, "iss": "https://dex.example"}), "not issued by argocd"),
    (forged({**GOOD, "sub": "alice"}), "not a project role token"),
    (forged({**GOOD, "sub": "proj:shop:ci:x"}), "not a project role token"),
    (forged({**GOOD, "sub": "proj:gone:ci"}), "project gone does not exist"),
    (forged({**GOOD, "sub": "proj:shop:deployer"}), "role deployer no longer exists"),
    (forged({**GOOD, "jti": "t9"}), "revoked or unknown"),
]


@pytest.mark.parametrize(("token", "message"), REFUSED)
def test_refused_tokens_say_why_without_showing_the_token(token: str, message: str) -> None:
    _, project = issued()
    with pytest.raises(tokens.TokenError, match=message) as raised:
        tokens.verify_token(token, secret=SECRET, projects={"shop": project}, now=NOW)
    assert token not in str(raised.value)
    assert SECRET.decode() not in str(raised.value)
