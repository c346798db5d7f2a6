"""Tiny HTTP helpers over the standard library (the fixtures need no HTTP client package)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

__all__ = ["HttpError", "get_json", "request", "wait_http_ok"]


class HttpError(RuntimeError):
    """A non-2xx answer, with its status and body (so a failing test shows the server's words)."""

    def __init__(self, method: str, url: str, status: int, body: str) -> None:
        super().__init__(f"{method} {url} -> {status}: {body[:2000]}")
        self.status = status
        self.body = body


def request(
    method: str,
    url: str,
    params: dict[str, str] | list[tuple[str, str]] | None = None,
    data: bytes | None = None,
    timeout_s: float = 10.0,
) -> bytes:
    """Send one request; return the body, raise ``HttpError`` on a non-2xx status."""
    if params:
        url = f"{url}?{urllib.parse.urlencode(params)}"
    req = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            return bytes(resp.read())
    except urllib.error.HTTPError as exc:
        raise HttpError(method, url, exc.code, exc.read().decode(errors="replace")) from exc


def get_json(url: str, params: dict[str, str] | list[tuple[str, str]] | None = None) -> Any:
    return json.loads(request("GET", url, params))


def wait_http_ok(url: str, timeout_s: float, is_running: Callable[[], bool] | None = None) -> None:
    """Poll ``url`` until it answers 2xx (servers listen before they are ready to serve)."""
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        if is_running is not None and not is_running():
            msg = f"server exited while waiting for {url}"
            raise RuntimeError(msg)
        try:
            request("GET", url, timeout_s=1.0)
        except (OSError, HttpError) as exc:
            last = exc
            time.sleep(0.01)
        else:
            return
    msg = f"{url} not ready after {timeout_s} s: {last}"
    raise RuntimeError(msg)
