"""The web pages the stack serves itself: the member portal (/portal/), the admin console
(/console/), their shared scripts and the npm libraries the project's setup installed (/assets/),
and the rendered API docs (/v1/docs, Swagger UI from the assets bundled with powertools).

Files come from this function's own package (`static/`), so the local stack and the cloud serve
the same bytes through the same routes; nothing is fetched from a CDN. Public (no authorizer):
the pages hold no data, they call the API with the member's token or the admin's key."""

from __future__ import annotations

import base64
import json
import mimetypes
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.http.problems import PROBLEM_BASE

STATIC = Path(__file__).resolve().parent / "static"
SECTIONS = ("portal", "console", "assets")
TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")
# The portal and the console load only their own scripts (no inline script, nothing from elsewhere),
# call only this API, and are never framed: an injected <script> or a hostile frame cannot reach the
# admin key in sessionStorage or the member's token. (The docs page is Swagger UI, whose bootstrap
# script is inline, so it goes without this policy; it holds no credential.)
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the portal's URL carries the member's token
    "X-Frame-Options": "DENY",
}


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    path = str(event.get("rawPath") or "/")
    if path == "/v1/docs":
        return _answer(200, "text/html; charset=utf-8", docs_page().encode(), cache="no-cache")
    section, _, rest = path.strip("/").partition("/")
    if section not in SECTIONS:
        return _not_found()
    if section != "assets" and not path.startswith(f"/{section}/"):
        # /portal -> /portal/ (with the query, which carries the member's token)
        query = event.get("rawQueryString") or ""
        location = f"/{section}/" + (f"?{query}" if query else "")
        return {"statusCode": 308, "headers": {"Location": location, **SECURITY_HEADERS}, "body": ""}
    file = _resolve(section, rest or "index.html")
    if file is None:
        return _not_found()
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type == "application/javascript":
        content_type += "; charset=utf-8"
    cache = "no-cache" if file.suffix == ".html" else "public, max-age=300"
    answer = _answer(200, content_type, file.read_bytes(), cache=cache)
    answer["headers"]["Content-Security-Policy"] = PAGE_POLICY
    return answer


def _roots(section: str, relative: str) -> tuple[Path, str]:
    """The folder a page path is served from, and the path inside it."""
    if section != "assets":
        return STATIC / section, relative
    if relative.startswith("vendor/"):  # npm libraries the project's setup installed
        return STATIC / "vendor", relative.removeprefix("vendor/")
    if relative.startswith("swagger/"):  # Swagger UI, bundled with powertools
        from aws_lambda_powertools.event_handler.openapi import swagger_ui

        return Path(swagger_ui.__file__).parent, relative.removeprefix("swagger/")
    return STATIC / "shared", relative


def _resolve(section: str, relative: str) -> Path | None:
    """The file the path names under its folder; None for anything outside it, hidden or missing."""
    if any(part in ("..", ".") or part.startswith((".", "_")) for part in PurePosixPath(relative).parts):
        return None
    folder, inside = _roots(section, relative)
    root = folder.resolve()
    file = (root / inside).resolve()
    if not file.is_relative_to(root) or not file.is_file() or file.suffix == ".py":
        return None
    return file


def _answer(status: int, content_type: str, body: bytes, *, cache: str) -> dict[str, Any]:
    headers = {"Content-Type": content_type, "Cache-Control": cache, **SECURITY_HEADERS}
    if content_type.startswith(TEXT_TYPES):
        return {
            "statusCode": status,
            "headers": headers,
            "body": body.decode("utf-8"),
            "isBase64Encoded": False,
        }
    return {
        "statusCode": status,
        "headers": headers,
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def _not_found() -> dict[str, Any]:
    problem = {
        "type": PROBLEM_BASE + "not-found",
        "title": "Not found",
        "status": 404,
        "detail": "no such page",
    }
    body = json.dumps(problem)
    return {
        "statusCode": 404,
        "headers": {"Content-Type": "application/problem+json", **SECURITY_HEADERS},
        "body": body,
    }


@lru_cache(maxsize=1)
def docs_page() -> str:
    """Swagger UI over the OpenAPI document, its script and style served from /assets/swagger/."""
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

    from loyalty.http.openapi import openapi_json

    return generate_swagger_html(
        openapi_json(),
        "/assets/swagger/swagger-ui-bundle.min.js",
        "/assets/swagger/swagger-ui.min.css",
        "/assets/swagger",
        None,
    )
