"""Errors of the JSON API as RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from werkzeug.exceptions import HTTPException

PROBLEM_MIME = "application/problem+json"


def problem_response(status: int, *, title: str, detail: str | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update({key: value for key, value in extra.items() if value is not None})
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=status, mimetype=PROBLEM_MIME)


class ApiProblem(HTTPException):
    """Raise from an API view to answer with a problem document, e.g. 409 or 422 with details."""

    def __init__(self, status: int, detail: str, **extra: Any):
        super().__init__(description=detail)
        self.code = status
        self.extra = extra
