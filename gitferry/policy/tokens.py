"""JWT tokens of AppProject roles (`argocd proj role create-token`; reference 2.8): issue, list,
record, revoke and verify, as pure functions over AppProject objects.

Argo CD's rules:

* A token is an HS256 JWT signed with the server's secret key, with the claims
  `iss: argocd`, `sub: proj:<project>:<role>`, `nbf` and `iat` (the issue time), `jti` (the
  token id) and, when it expires, `exp`.
* Each issued token is recorded as `{iat, exp, id}` in the project's
  `status.jwtTokensByRole[<role>].items` (older projects also hold copies in
  `spec.roles[].jwtTokens`; the two are kept in step and read as one list, newest first).
* A token is accepted only while its project exists, its role exists, and a record with its
  `jti` (or, for a token without `jti`, its `iat`) is listed; revoking removes the record.
  `exp` and `nbf` are checked against the given time.

The token text and the secret never appear in an error. Used by the server's authentication
(every request with a project token) and project API (create-token, delete-token). Pure; no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from gitferry.model import errors
from gitferry.policy.rbac import Claims

ISSUER = "argocd"
ALGORITHM = "HS256"


class TokenError(errors.GitFerryError):
    """A project token cannot be issued or is not (or no longer) valid."""


@dataclass(frozen=True, kw_only=True)
class TokenRecord:
    """One issued token as a project records it (`JWTToken`)."""

    id: str
    # The issue time, in seconds since the epoch (`iat`).
    issued_at: int
    # The expiry in seconds since the epoch (`exp`); 0 for a token that never expires.
    expires_at: int = 0

    @classmethod
    def from_dict(cls, item: Mapping[str, Any]) -> TokenRecord:
        issued = int(item.get("iat") or 0)
        # Argo CD gives a record without an id the id of its issue time.
        return cls(
            id=str(item.get("id") or issued),
            issued_at=issued,
            expires_at=int(item.get("exp") or 0),
        )

    def as_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {"iat": self.issued_at}
        if self.expires_at:
            record["exp"] = self.expires_at
        record["id"] = self.id
        return record


def subject(project: str, role: str) -> str:
    """The token subject of a project role: `proj:<project>:<role>`."""
    return f"proj:{project}:{role}"


def new_record(*, token_id: str, now: datetime, expires_in: timedelta | None) -> TokenRecord:
    """The record of a token issued at `now` that expires after `expires_in` (None: never)."""
    issued = int(now.timestamp())
    expires = issued + int(expires_in.total_seconds()) if expires_in else 0
    return TokenRecord(id=token_id, issued_at=issued, expires_at=expires)


def issue_token(
    project: str,
    role: str,
    *,
    secret: bytes,
    expires_in: timedelta | None,
    now: datetime,
    token_id: str,
) -> str:
    """A signed token for `proj:<project>:<role>`, with the claims Argo CD gives it."""
    record = new_record(token_id=token_id, now=now, expires_in=expires_in)
    claims: dict[str, Any] = {"iss": ISSUER, "sub": subject(project, role)}
    if record.expires_at:
        claims["exp"] = record.expires_at
    claims.update(nbf=record.issued_at, iat=record.issued_at, jti=token_id)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def list_tokens(project: Mapping[str, Any], role: str) -> list[TokenRecord]:
    """The tokens recorded for `role` (status and legacy spec copies), newest first."""
    found: dict[str, TokenRecord] = {}
    by_role = (project.get("status") or {}).get("jwtTokensByRole") or {}
    items = list((by_role.get(role) or {}).get("items") or ())
    spec_role = _role(project, role)
    if spec_role is not None:
        items += spec_role.get("jwtTokens") or ()
    for item in items:
        record = TokenRecord.from_dict(item)
        found.setdefault(record.id, record)
    return sorted(found.values(), key=lambda record: record.issued_at, reverse=True)


def record_token(project: Mapping[str, Any], role: str, record: TokenRecord) -> dict[str, Any]:
    """A copy of `project` that lists `record` for `role`; refuses an unknown role or an id
    already in use (as `argocd proj role create-token` does)."""
    name = _name(project)
    if _role(project, role) is None:
        raise TokenError(f"project {name}: role {role!r} does not exist")
    current = list_tokens(project, role)
    if any(existing.id == record.id for existing in current):
        raise TokenError(f"project {name} role {role}: token id {record.id!r} has been used")
    return _with_tokens(project, role, [record, *current])


def revoke_token(project: Mapping[str, Any], role: str, token_id: str) -> dict[str, Any]:
    """A copy of `project` without the token `token_id` of `role`: the token stops working."""
    current = list_tokens(project, role)
    if not any(record.id == token_id for record in current):
        raise TokenError(f"project {_name(project)} role {role}: no token with id {token_id!r}")
    return _with_tokens(project, role, [record for record in current if record.id != token_id])


def verify_token(
    token: str, *, secret: bytes, projects: Mapping[str, Mapping[str, Any]], now: datetime
) -> Claims:
    """The claims of a valid project token; raises `TokenError` saying why it is not valid."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_iss": False,
                "verify_aud": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise TokenError("token: signature is invalid") from None
    except jwt.PyJWTError:
        raise TokenError("token: not a well-formed HS256 JWT") from None
    sub = payload.get("sub")
    if payload.get("iss") != ISSUER or not isinstance(sub, str):
        raise TokenError(f"token: not issued by {ISSUER} for a project role")
    at = now.timestamp()
    expires, not_before = payload.get("exp"), payload.get("nbf")
    if expires is not None and (not _is_number(expires) or at >= expires):
        raise TokenError(f"token for {sub}: has expired")
    if not_before is not None and (not _is_number(not_before) or at < not_before):
        raise TokenError(f"token for {sub}: is not valid yet")
    parts = sub.split(":")
    if len(parts) != 3 or parts[0] != "proj":
        raise TokenError(f"token for {sub}: not a project role token (proj:<project>:<role>)")
    _, project_name, role = parts
    project = projects.get(project_name)
    if project is None:
        raise TokenError(f"token for {sub}: project {project_name} does not exist")
    if _role(project, role) is None:
        raise TokenError(f"token for {sub}: role {role} no longer exists in project")
    token_id, issued = payload.get("jti"), payload.get("iat")
    records = list_tokens(project, role)
    if isinstance(token_id, str) and token_id:
        known = any(record.id == token_id for record in records)
    elif isinstance(issued, int | float) and not isinstance(issued, bool):
        known = any(record.issued_at == int(issued) for record in records)
    else:
        known = False
    if not known:
        raise TokenError(f"token for {sub}: revoked or unknown (id {token_id or issued!s})")
    return Claims.from_mapping(payload)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _name(project: Mapping[str, Any]) -> str:
    return str((project.get("metadata") or {}).get("name") or "")


def _role(project: Mapping[str, Any], role: str) -> Mapping[str, Any] | None:
    for entry in (project.get("spec") or {}).get("roles") or ():
        if isinstance(entry, Mapping) and entry.get("name") == role:
            return entry
    return None


def _with_tokens(
    project: Mapping[str, Any], role: str, records: list[TokenRecord]
) -> dict[str, Any]:
    """A copy of `project` whose status and spec copies both list exactly `records`."""
    updated: dict[str, Any] = copy.deepcopy(dict(project))
    items = [record.as_dict() for record in records]
    by_role = updated.setdefault("status", {}).setdefault("jwtTokensByRole", {})
    by_role[role] = {"items": items}
    for entry in updated.get("spec", {}).get("roles") or ():
        if isinstance(entry, dict) and entry.get("name") == role:
            if items:
                entry["jwtTokens"] = copy.deepcopy(items)
            else:
                entry.pop("jwtTokens", None)
    return updated
