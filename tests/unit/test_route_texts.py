"""The routes' summaries and descriptions live in `http/routes/texts.toml`, one table a handler:
a route without its text fails when it is declared, a text without a route fails here."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.event_handler.api_gateway import Router

from loyalty.http.openapi import openapi_json
from loyalty.http.routes import docs
from loyalty.http.routes.docs import MissingRouteTextError, operation, responses, texts_without_route


def test_given_every_router_of_the_api_then_every_text_has_a_route_and_every_route_its_text():
    # Given every router of the API, declared (a route without its text fails right there)
    document = json.loads(openapi_json())

    # Then no text of the file is left without a route
    assert texts_without_route() == []
    # And every published operation has its summary from the file
    summaries = {text["summary"] for names in docs.TEXTS.values() for text in names.values()}
    published = [item for path in document["paths"].values() for item in path.values()]
    assert len(published) > 80
    assert [item["summary"] for item in published if item["summary"] not in summaries] == []


def test_given_a_handler_without_a_text_when_its_route_is_declared_then_it_fails_naming_the_table():
    # Given a handler the file has no text for
    def unknown_route() -> None:
        return None

    unknown_route.__module__ = "loyalty.http.routes.webhooks"

    # When its route is declared, then it fails, naming the table to add
    with pytest.raises(MissingRouteTextError, match=r"\[webhooks\.unknown_route\] in texts\.toml"):
        operation(Router(), "GET", "/v1/unknown", "admin", responses(200, None), tags=["webhooks"])(
            unknown_route
        )


def test_given_a_text_without_a_description_when_its_route_is_declared_then_it_fails(monkeypatch):
    # Given a table with a summary but no description
    monkeypatch.setitem(docs.TEXTS, "holds", {"read_hold": {"summary": "Read a hold"}})

    def read_hold() -> None:
        return None

    read_hold.__module__ = "loyalty.http.routes.holds"

    # When its route is declared, then it fails
    with pytest.raises(MissingRouteTextError, match=r"\[holds\.read_hold\] .* a summary and a description"):
        operation(Router(), "GET", "/v1/holds/<hold_id>", "server", tags=["holds"])(read_hold)
