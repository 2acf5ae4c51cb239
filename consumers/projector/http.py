"""The projector's HTTP side: the page, the JSON API (OpenAPI at /openapi.json), SSE, health, metrics.

Handlers only read the view through :class:`ViewHub`; the Kafka loop runs in another thread.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from consumers.projector.runtime import ViewHub
from newswire import __version__

KEEPALIVE_S = 15.0
#: What the API answers while the view is being restored from its checkpoint (an empty view
#: would read as "no news"; a client retries after ``Retry-After`` seconds).
RESTORING: dict[int | str, dict[str, Any]] = {
    503: {"description": "the view is being restored from its checkpoint: retry after `Retry-After` s"}
}
RETRY_AFTER_S = 2
#: Items per section of /api/summary and /api/sections unless asked (and at most).
DEFAULT_LIMIT, MAX_LIMIT = 20, 500


def _page() -> str:
    return resources.files("consumers.projector").joinpath("static/index.html").read_text(encoding="utf-8")


class RawJSON(Response):
    media_type = "application/json"


def create_app(hub: ViewHub, registry: CollectorRegistry) -> FastAPI:
    app = FastAPI(
        title="newswire live view",
        version=__version__,
        description="The current state of the talks, rebuilt from the article, entity and claim streams. "
        "Every item lists the articles and sentences that support it.",
    )
    page = _page()

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get(
        "/api/state",
        summary="The whole view",
        response_class=RawJSON,
        responses={200: {"description": "sections of items, ceasefire status, conflicts, counters"}, **RESTORING},
    )
    def state() -> Response:
        _ready(hub)
        return RawJSON(hub.state_json())

    @app.get(
        "/api/summary",
        summary="The view at a glance: each section's first `limit` items (most sources, then latest) and totals",
        response_class=RawJSON,
        responses={200: {"description": "what the page shows; `counts` gives each section's total"}, **RESTORING},
    )
    def summary(limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)) -> Response:
        _ready(hub)
        return RawJSON(hub.summary_json(limit))

    @app.get(
        "/api/sections/{section}",
        summary="One section's items from `offset`, at most `limit`, in the order of /api/state",
        response_class=RawJSON,
        responses={404: {"description": "no such section"}, **RESTORING},
    )
    def section(
        section: str, offset: int = Query(0, ge=0), limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    ) -> Response:
        _ready(hub)
        page = hub.section_json(section, offset, limit)
        if page is None:
            raise HTTPException(status_code=404, detail=f"no section {section!r}")
        return RawJSON(page)

    @app.get("/api/items/{item_id}", summary="One item with its provenance", responses=RESTORING)
    def item(item_id: str) -> dict[str, Any]:
        _ready(hub)
        return _found(hub.item(item_id), "item", item_id)

    @app.get(
        "/api/articles/{article_id}",
        summary="One article and the items it supports (its provenance)",
        responses=RESTORING,
    )
    def article(article_id: str) -> dict[str, Any]:
        _ready(hub)
        return _found(hub.article(article_id), "article", article_id)

    @app.get(
        "/api/stream",
        summary="Server-sent events: one `change` event per batch that changed the view",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def stream(request: Request) -> StreamingResponse:
        loop = asyncio.get_running_loop()
        sub = hub.subscribe(loop)

        async def events() -> AsyncIterator[bytes]:
            try:
                with hub.lock:
                    version = hub.view.applied
                yield f'event: hello\ndata: {{"view_version": {version}}}\n\n'.encode()
                while True:
                    if await request.is_disconnected():
                        break
                    if sub.lost:
                        sub.lost = False
                        yield b"event: resync\ndata: {}\n\n"
                    try:
                        message = await asyncio.wait_for(sub.queue.get(), timeout=KEEPALIVE_S)
                    except TimeoutError:
                        yield b": keep-alive\n\n"
                        continue
                    yield message
            finally:
                hub.unsubscribe(sub)

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get("/healthz", summary="200 while the consumer loop runs and keeps up; 503 otherwise")
    def healthz() -> JSONResponse:
        ok, details = hub.health.check(time.monotonic())
        return JSONResponse(details, status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


def _ready(hub: ViewHub) -> None:
    if hub.restoring:
        raise HTTPException(
            status_code=503,
            detail="restoring: the view is being restored from its checkpoint",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )


def _found(value: dict[str, Any] | None, what: str, key: str) -> dict[str, Any]:
    if value is None:
        raise HTTPException(status_code=404, detail=f"no {what} {key!r}")
    return value
