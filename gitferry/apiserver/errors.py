"""API errors and the `Status` objects that carry them on the wire.

Every failure inside the embedded cluster is raised as `ApiError`; the HTTP layer turns it into
a `Status` JSON body with the code, reason, message and details a real kube-apiserver 1.32
gives, because clients (kubectl, client-go, lightkube) switch on them. The constructors below
are the catalogue of `reference/kubernetes-write-semantics.md` section 5.2; raise through them
rather than building Status dicts by hand.
"""

from __future__ import annotations

from typing import Any

GENERIC_422 = "the server rejected our request due to an error in our request"


class ApiError(Exception):
    """A request failed; `status()` is the body to send, `code` the HTTP status."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
        }
        if self.message:
            body["message"] = self.message
        if self.reason:
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def _details(name: str, group: str, kind: str, **extra: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    details.update(extra)
    return details


def resource_name(group: str, plural: str) -> str:
    """`plural.group` as messages print a group-resource (core: just `plural`)."""
    return f"{plural}.{group}" if group else plural


def not_found(group: str, plural: str, name: str) -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'{resource_name(group, plural)} "{name}" not found',
        _details(name, group, plural),
    )


def namespace_not_found(namespace: str) -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'namespaces "{namespace}" not found',
        {"name": namespace, "kind": "namespaces"},
    )


def already_exists(group: str, plural: str, name: str, *, deleting: bool = False) -> ApiError:
    prefix = "object is being deleted: " if deleting else ""
    return ApiError(
        409,
        "AlreadyExists",
        f'{prefix}{resource_name(group, plural)} "{name}" already exists',
        _details(name, group, plural),
    )


def conflict(group: str, plural: str, name: str, detail: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {resource_name(group, plural)} "{name}": {detail}',
        _details(name, group, plural),
    )


def stale(group: str, plural: str, name: str) -> ApiError:
    """Optimistic concurrency failure: the request's resourceVersion is not the current one."""
    return conflict(
        group,
        plural,
        name,
        "the object has been modified; please apply your changes to the latest version and "
        "try again",
    )


def invalid(group: str, kind: str, name: str, causes: list[tuple[str, str, str]]) -> ApiError:
    """422 Invalid. `causes` are (cause reason, field, message) such as
    ("FieldValueInvalid", "metadata.name", 'Invalid value: "x": ...')."""
    texts: list[str] = []
    for _, field, message in causes:
        text = f"{field}: {message}" if field else message
        if text not in texts:
            texts.append(text)
    gk = f"{kind}.{group}" if group else kind
    body = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    return ApiError(
        422,
        "Invalid",
        f'{gk} "{name}" is invalid: {body}',
        _details(
            name,
            group,
            kind,
            causes=[
                {"reason": reason, "message": message, "field": field}
                for reason, field, message in causes
            ],
        ),
    )


def options_invalid(kind: str, field: str, reason: str, message: str) -> ApiError:
    """422 for invalid request options (PatchOptions, DeleteOptions, ListOptions...)."""
    return ApiError(
        422,
        "Invalid",
        f'{kind}.meta.k8s.io "" is invalid: {field}: {message}',
        {
            "group": "meta.k8s.io",
            "kind": kind,
            "causes": [{"reason": reason, "message": message, "field": field}],
        },
    )


def generic_invalid() -> ApiError:
    """The generic 422 of failed JSON patches and structural SMP failures."""
    return ApiError(422, "Invalid", GENERIC_422, {})


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def internal(message: str) -> ApiError:
    """A raw 500 with no reason, as kube-apiserver gives for unconverted Go errors."""
    return ApiError(500, "", message)


def unsupported_media_type(accepted: list[str]) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(accepted),
    )


def method_not_allowed() -> ApiError:
    return ApiError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        {},
    )


def forbidden(message: str, details: dict[str, Any] | None = None) -> ApiError:
    return ApiError(403, "Forbidden", message, details)


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def expired(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def too_large(message: str) -> ApiError:
    return ApiError(413, "RequestEntityTooLarge", message)
