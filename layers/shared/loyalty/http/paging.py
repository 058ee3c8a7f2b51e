"""The query parameters of every list route: `?limit=&cursor=` (see `loyalty.operations.paging`)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from loyalty.operations.paging import MAX_PAGE

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page")]
Cursor = Annotated[
    str | None, Query(max_length=200, description="The next_cursor of the page before (opaque)")
]
