"""The aiohttp application: the page, its static assets, the JSON API and the live WebSocket.

Routes (documented in docs/dashboard.md):

========================================  ===================================================
``GET /``                                 the page (``static/index.html``)
``GET /static/…``                         its CSS and JavaScript (served by the package)
``GET /api/info``                         wearer, version, code tables, the score definition
``GET /api/live``                         the live snapshot (what the WebSocket starts with)
``GET /api/ws``                           WebSocket: the snapshot, then every update
``POST /api/command``                     send a command to the hub; the hub's reply
``GET /api/day/YYYY-MM-DD``               one day's history (``?sensor=``)
``GET /api/day/YYYY-MM-DD.csv``           the day's telemetry as CSV
``GET /api/trend/YYYY-MM-DD``             the 7-day score trend ending that day
========================================  ===================================================

Every ``/api`` route takes an optional ``?wearer=`` (only the dashboard's own wearer is
known).  Bad input is a 400 with ``{"error": "..."}``; a store that cannot be read is a 503;
nothing a client sends reaches a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Final

from aiohttp import WSCloseCode, WSMsgType, web

from sensor_hub import __version__
from sensor_hub.mqtt.topics import TopicError, validate_wearer
from sensor_hub.recorder.sqlite_store import StoreError
from sensor_hub.schema import CODE_TABLES
from sensor_hub.web.auth import auth_middleware
from sensor_hub.web.history import SCORE_DEFINITION, History, HistoryError, parse_day
from sensor_hub.web.live import CommandRefusedError, JsonObject, LiveFeed, NotConnectedError

__all__ = ["STATIC_DIR", "DashboardContext", "create_app"]

_log = logging.getLogger(__name__)

STATIC_DIR: Final = Path(__file__).parent / "static"
_MAX_BODY: Final = 8192
_HEARTBEAT_S: Final = 20.0
_JSON_HEADERS: Final = {"Cache-Control": "no-store"}


@dataclass(frozen=True, slots=True)
class DashboardContext:
    """What the handlers work on."""

    wearer: str
    live: LiveFeed
    history: History
    tz: tzinfo
    broker: str


_CONTEXT: Final = web.AppKey("context", DashboardContext)
_SOCKETS: Final = web.AppKey[set[web.WebSocketResponse]]("sockets")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=_JSON_HEADERS)


def _ok(data: object) -> web.Response:
    return web.json_response(data, headers=_JSON_HEADERS)


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Client errors as 400 JSON, an unreadable store as 503, anything else as 500 (logged)."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except (HistoryError, TopicError, CommandRefusedError) as exc:
        return _error(400, str(exc))
    except NotConnectedError as exc:
        return _error(503, str(exc))
    except StoreError as exc:
        _log.warning("dashboard: %s", exc)
        return _error(503, f"the store cannot be read: {exc}")
    except Exception:  # noqa: BLE001 (no client input may crash the server)
        _log.exception("dashboard: %s %s failed", request.method, request.path)
        return _error(500, "internal error (see the dashboard's log)")


def _context(request: web.Request) -> DashboardContext:
    ctx = request.app[_CONTEXT]
    wearer = request.query.get("wearer")
    if wearer is not None and wearer != ctx.wearer:
        validate_wearer(wearer[:64])  # a bad id is named in the error: not all of a huge one
        raise HistoryError(f"unknown wearer {wearer!r}: this dashboard serves {ctx.wearer!r}")
    return ctx


def _day(request: web.Request) -> date:
    return parse_day(request.match_info["day"])


async def _index(_request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def _info(request: web.Request) -> web.Response:
    ctx = _context(request)
    now = datetime.now(ctx.tz)
    return _ok(
        {
            "wearer": ctx.wearer,
            "version": __version__,
            "broker": ctx.broker,
            "store": str(ctx.history.store_path),
            "today": now.date().isoformat(),
            "utc_offset_s": int((now.utcoffset() or now - now).total_seconds()),
            "codes": {
                name: {str(k): v for k, v in table.items()} for name, table in CODE_TABLES.items()
            },
            "score_definition": SCORE_DEFINITION,
        }
    )


async def _live(request: web.Request) -> web.Response:
    return _ok(_context(request).live.snapshot())


async def _ws(request: web.Request) -> web.StreamResponse:
    ctx = _context(request)
    ws = web.WebSocketResponse(heartbeat=_HEARTBEAT_S, max_msg_size=_MAX_BODY)
    await ws.prepare(request)
    sockets = request.app[_SOCKETS]
    sockets.add(ws)
    queue = ctx.live.listen()
    sender = asyncio.create_task(_pump(ws, queue))
    try:
        await ws.send_str(json.dumps(ctx.live.snapshot(), separators=(",", ":")))
        async for message in ws:  # the browser sends nothing we act on; this waits for close
            if message.type is WSMsgType.ERROR:
                break
    finally:
        sockets.discard(ws)
        ctx.live.unlisten(queue)
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
    return ws


async def _pump(ws: web.WebSocketResponse, queue: asyncio.Queue[str]) -> None:
    while not ws.closed:
        text = await queue.get()
        try:
            await ws.send_str(text)
        except ConnectionError:
            return


async def _command(request: web.Request) -> web.Response:
    ctx = _context(request)
    if request.content_type != "application/json":
        return _error(415, "send the command as application/json")
    if request.content_length is not None and request.content_length > _MAX_BODY:
        return _error(413, "command too large")
    try:
        body = json.loads(await request.text())
    except (ValueError, UnicodeDecodeError):
        return _error(400, "the body is not valid JSON")
    if not isinstance(body, dict) or not isinstance(body.get("command"), str):
        return _error(400, 'expected a JSON object with a "command"')
    result: JsonObject = await ctx.live.command(body)
    return _ok(result)


async def _day_json(request: web.Request) -> web.Response:
    ctx = _context(request)
    day, sensor = _day(request), request.query.get("sensor")
    return _ok(await asyncio.to_thread(ctx.history.day, ctx.wearer, day, sensor))


async def _trend(request: web.Request) -> web.Response:
    ctx = _context(request)
    day, sensor = _day(request), request.query.get("sensor")
    return _ok(await asyncio.to_thread(ctx.history.trend, ctx.wearer, day, sensor))


async def _day_csv(request: web.Request) -> web.StreamResponse:
    ctx = _context(request)
    day = _day(request)
    chunks = ctx.history.csv_chunks(ctx.wearer, day)
    header = await asyncio.to_thread(next, chunks)  # the first query's errors come before 200
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="posture-{ctx.wearer}-{day}.csv"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    await response.write(header.encode())
    while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
        await response.write(chunk.encode())
    await response.write_eof()
    return response


async def _close_sockets(app: web.Application) -> None:
    sockets: set[web.WebSocketResponse] = app[_SOCKETS]
    for ws in list(sockets):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"dashboard stopping")


def create_app(
    *, live: LiveFeed, history: History, tz: tzinfo, broker: str, token: str | None
) -> web.Application:
    """The dashboard application (``token=None``: loopback only, see :mod:`.auth`)."""
    app = web.Application(middlewares=[_errors, auth_middleware(token)], client_max_size=_MAX_BODY)
    app[_CONTEXT] = DashboardContext(live.topics.wearer, live, history, tz, broker)
    app[_SOCKETS] = set()
    app.on_shutdown.append(_close_sockets)
    app.router.add_get("/", _index)
    app.router.add_static("/static/", STATIC_DIR, follow_symlinks=False)
    app.router.add_get("/api/info", _info)
    app.router.add_get("/api/live", _live)
    app.router.add_get("/api/ws", _ws)
    app.router.add_post("/api/command", _command)
    app.router.add_get(r"/api/day/{day:[^/]+}.csv", _day_csv)
    app.router.add_get(r"/api/day/{day:[^/]+}", _day_json)
    app.router.add_get(r"/api/trend/{day:[^/]+}", _trend)
    return app
