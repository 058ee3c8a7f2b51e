"""The pages the stack serves itself (WebFunction, through the in-process API Gateway): the portal,
the console, their scripts, the npm libraries `make web` installed, and the rendered API docs; no
authorizer on them, and nothing outside the function's static folders is reachable."""

from __future__ import annotations

import json
import re

import pytest

from infra.gateway import Gateway
from infra.template_model import load_template


@pytest.fixture(scope="module")
def gateway() -> Gateway:
    return Gateway(load_template(), cache_seconds=0)


@pytest.mark.parametrize(
    ("path", "content_type", "marker"),
    [
        ("/portal/", "text/html", b'src="/portal/portal.js"'),
        ("/portal/portal.js", "text/javascript", b"/v1/me"),
        ("/console/", "text/html", b'src="/assets/vendor/echarts.min.js"'),
        ("/console/console.js", "text/javascript", b"/v1/reports/summary"),
        ("/assets/api.js", "text/javascript", b"export class Api"),
        ("/assets/vendor/echarts.min.js", "text/javascript", b"echarts"),
        ("/assets/swagger/swagger-ui-bundle.min.js", "text/javascript", b"SwaggerUIBundle"),
    ],
)
def test_pages_and_their_libraries_are_served_without_a_key(gateway, path, content_type, marker):
    # When a page or a library is fetched with no Authorization header
    response = gateway.request("GET", path)
    # Then it is served, with its type, and never framed or sniffed
    assert response.status == 200, response.body[:200]
    assert response.headers["content-type"].startswith(content_type)
    assert marker in response.body
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self';" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_the_portal_without_its_slash_redirects_and_keeps_the_token(gateway):
    response = gateway.request("GET", "/portal", query="token=lmt1.a.b.c&lang=en")
    assert (response.status, response.headers["location"]) == (308, "/portal/?token=lmt1.a.b.c&lang=en")
    # And the pages tell the browser not to send the URL (with its token) to anyone else
    assert response.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    "path",
    [
        "/portal/../app.py",
        "/portal/%2e%2e/app.py",
        "/assets/../app.py",
        "/assets/swagger/html.py",
        "/assets/swagger/__init__.py",
        "/assets/vendor/.lock-sha256",
        "/console/nothing-here.js",
        "/assets/vendor/../../app.py",
    ],
)
def test_nothing_outside_the_static_folders_is_served(gateway, path):
    response = gateway.request("GET", path)
    assert response.status == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert b"import" not in response.body


def test_the_docs_page_renders_every_operation_of_the_openapi_document_with_local_assets(gateway):
    # Given the OpenAPI document
    document = gateway.request("GET", "/v1/openapi.json").json()
    # When the docs page is fetched
    page = gateway.request("GET", "/v1/docs")
    # Then it is Swagger UI over that document, with its script and style from this stack
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.body.decode()
    assert "/assets/swagger/swagger-ui-bundle.min.js" in html
    assert "/assets/swagger/swagger-ui.min.css" in html
    assert not re.search(r"https?://(?!loyalty\.dev)[a-z0-9.-]+\.(com|net|org|io)/", html.split("spec:")[0])
    embedded, _ = json.JSONDecoder().raw_decode(html.split("spec: ", 1)[1])
    assert embedded["paths"].keys() == document["paths"].keys()
    assert {"/v1/me", "/v1/me/redemptions", "/v1/members/{member_id}/tokens"} <= set(embedded["paths"])
