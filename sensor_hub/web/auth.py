"""Who may use the dashboard: loopback by default, a token on any other address.

* **Binding.** :func:`check_binding` refuses a non-loopback address without a token, so the
  dashboard (which can send commands to the wearer's hub) is never open on a network by accident.
* **Token.** When set, every request but the static assets carries it, as ``?token=…`` or
  ``Authorization: Bearer …``; it is compared in constant time (:func:`hmac.compare_digest`).
* **Browsers on the same machine.** Without a token anything that can reach loopback can use
  the dashboard, including a web page in the wearer's browser: so requests must name a loopback
  host (``Host``: defeats DNS rebinding), and a command or a WebSocket from a page of another
  origin is refused (``Origin``); commands are JSON posts, which a foreign page cannot send
  without a CORS preflight the server never grants.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import urlsplit

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

__all__ = [
    "TOKEN_ENV",
    "AuthError",
    "auth_middleware",
    "check_binding",
    "is_loopback",
    "token_matches",
]

TOKEN_ENV: Final = "POSTURE_HUB_DASHBOARD_TOKEN"  # noqa: S105 (a variable name)
#: Shortest token accepted (characters): a guessable token is no protection.
MIN_TOKEN_CHARS: Final = 16
_LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.", "ip6-localhost"})
#: Paths anyone who can reach the server may read (the page itself holds no data).
_PUBLIC_PREFIXES: Final = ("/static/",)
_PUBLIC_PATHS: Final = frozenset({"/", "/index.html", "/favicon.ico"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AuthError(ValueError):
    """A binding or token setting that would leave the dashboard open."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 with or without brackets) is loopback."""
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Refuse a non-loopback bind without a token, and a short token.

    Raises:
        AuthError: the message says what to do.
    """
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise AuthError(f"the dashboard token must have at least {MIN_TOKEN_CHARS} characters")
    if token is None and not is_loopback(host):
        raise AuthError(
            f"refusing to serve the dashboard on {host} without a token: give --token or "
            f"${TOKEN_ENV} (or bind to 127.0.0.1)"
        )


def token_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a presented token with the expected one."""
    if given is None:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def _presented(request: web.Request) -> str | None:
    header = request.headers.get(hdrs.AUTHORIZATION, "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query.get("token")


def _host_name(host_header: str) -> str:
    return urlsplit(f"//{host_header}").hostname or ""


def _same_origin(request: web.Request) -> bool:
    """No ``Origin`` (not a browser's cross-site request) or the page's own origin."""
    origin = request.headers.get(hdrs.ORIGIN)
    if origin is None:
        return True
    parts = urlsplit(origin)
    return parts.netloc == request.host and parts.scheme in {"http", "https"}


def _is_public(path: str) -> bool:
    return path in _PUBLIC_PATHS or path.startswith(_PUBLIC_PREFIXES)


def _refuse(status: type[web.HTTPException], message: str) -> web.HTTPException:
    return status(text=f'{{"error": "{message}"}}', content_type="application/json")


def auth_middleware(token: str | None) -> Middleware:
    """The middleware enforcing the rules of this module for ``token`` (``None``: loopback)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if token is None and not is_loopback(_host_name(request.host)):
            raise _refuse(web.HTTPForbidden, "this dashboard answers only to a loopback host name")
        unsafe = request.method not in {"GET", "HEAD", "OPTIONS"}
        websocket = request.headers.get(hdrs.UPGRADE, "").lower() == "websocket"
        if (unsafe or websocket) and not _same_origin(request):
            raise _refuse(web.HTTPForbidden, "cross-origin request refused")
        if (
            token is not None
            and not _is_public(request.path)
            and not token_matches(token, _presented(request))
        ):
            raise _refuse(web.HTTPUnauthorized, "missing or wrong token")
        return await handler(request)

    return middleware
