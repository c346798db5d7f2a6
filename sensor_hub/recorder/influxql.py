"""Reading the recorder's points back from InfluxDB with InfluxQL (for the dashboard's history).

:class:`InfluxQLReader` answers the same two questions as the embedded store's reader
(:class:`~sensor_hub.recorder.sqlite_store.SqliteReader`): which series exist
(:meth:`series`) and the points of one measurement in a time range, one frame per tag set
(:meth:`query`).  So the dashboard reads its history from either store with the same code.

InfluxQL over HTTP (``GET /query``, ``epoch=ns``) works on InfluxDB 1.x, on 2.x through its
1.x compatibility API (a DBRP mapping of the bucket; token in ``Authorization: Token``) and on
3.x.  influxdb-client speaks Flux, not InfluxQL, so this module uses the standard library's
HTTP client; names come from the schema module and values are quoted as InfluxQL requires, so a
wearer id cannot change a query.  Errors (unreachable, refused, a bad answer) raise
:class:`StoreError`, the embedded store's error, so callers handle both stores alike.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np

from sensor_hub.recorder.sqlite_store import SeriesFrame, SeriesInfo, StoreError

__all__ = ["InfluxQLReader", "quote_identifier", "quote_string"]

_WEARER: Final = "wearer"


def quote_identifier(name: str) -> str:
    """An InfluxQL identifier in double quotes."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_string(value: str) -> str:
    """An InfluxQL string literal in single quotes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _where(
    wearer: str | None,
    tags: Mapping[str, str] | None,
    start_ns: int | None = None,
    end_ns: int | None = None,
) -> str:
    terms = []
    if wearer is not None:
        terms.append(f"{quote_identifier(_WEARER)} = {quote_string(wearer)}")
    for key, value in sorted((tags or {}).items()):
        terms.append(f"{quote_identifier(key)} = {quote_string(value)}")
    if start_ns is not None:
        terms.append(f"time >= {int(start_ns)}")
    if end_ns is not None:
        terms.append(f"time < {int(end_ns)}")
    return f" WHERE {' AND '.join(terms)}" if terms else ""


class InfluxQLReader:
    """Series and points of one InfluxDB database (``database``: 1.x db, or a 2.x bucket's
    DBRP-mapped database)."""

    def __init__(
        self, url: str, database: str, *, token: str | None = None, timeout_s: float = 10.0
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"influx url must start with http:// or https://, got {url!r}")
        if not database:
            raise ValueError("influx database must not be empty")
        self.url = url.rstrip("/")
        self.database = database
        self._token = token
        self.timeout_s = timeout_s

    def __repr__(self) -> str:  # the token stays out of logs
        return f"InfluxQLReader({self.url!r}, {self.database!r})"

    def close(self) -> None:
        """Nothing to release (one HTTP request per query)."""

    def _get(self, query: str) -> list[dict[str, Any]]:
        params = urllib.parse.urlencode({"db": self.database, "q": query, "epoch": "ns"})
        request = urllib.request.Request(f"{self.url}/query?{params}")  # noqa: S310 - http(s) only
        if self._token:
            request.add_header("Authorization", f"Token {self._token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                document = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise StoreError(f"influx {self.url}: HTTP {exc.code} for {query[:80]!r}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise StoreError(f"influx {self.url}: unreachable: {exc}") from None
        except ValueError as exc:
            raise StoreError(f"influx {self.url}: not JSON: {exc}") from None
        results = document.get("results") if isinstance(document, dict) else None
        if not isinstance(results, list) or not results:
            raise StoreError(f"influx {self.url}: unexpected answer to {query[:80]!r}")
        first = results[0]
        if "error" in first:
            raise StoreError(f"influx {self.url}: {first['error']}")
        series = first.get("series", [])
        return series if isinstance(series, list) else []

    def _fields(self, measurement: str) -> list[str]:
        rows = self._get(f"SHOW FIELD KEYS FROM {quote_identifier(measurement)}")
        return [str(v[0]) for s in rows for v in s.get("values", [])]

    def series(
        self,
        measurement: str | None = None,
        *,
        field: str | None = None,
        wearer: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> list[SeriesInfo]:
        """Every (series, field) matching the filters (``measurement`` is required here)."""
        if measurement is None:
            raise StoreError("influx: series() needs a measurement")
        fields = self._fields(measurement)
        if field is not None:
            fields = [f for f in fields if f == field]
        if not fields:
            return []
        query = f"SHOW SERIES FROM {quote_identifier(measurement)}{_where(wearer, tags)}"
        keys = [str(v[0]) for s in self._get(query) for v in s.get("values", [])]
        out: list[SeriesInfo] = []
        for key in keys:
            parts = key.split(",")[1:]  # measurement,tag=value,...  (our values have no commas)
            found = dict(p.split("=", 1) for p in parts if "=" in p)
            for name in fields:
                out.append(SeriesInfo(len(out), measurement, name, found.get(_WEARER, ""), found))
        return out

    def query(
        self,
        measurement: str,
        fields: str | Sequence[str],
        *,
        wearer: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> list[SeriesFrame]:
        """Points in ``[start_ns, end_ns)``, one frame per tag set, fields as columns (NaN where
        a field has no value), in time order."""
        names = [fields] if isinstance(fields, str) else list(fields)
        if not names:
            return []
        selected = ", ".join(quote_identifier(n) for n in names)
        query = (  # every name and value quoted: see quote_identifier, quote_string
            f"SELECT {selected} FROM {quote_identifier(measurement)}"  # noqa: S608
            f"{_where(wearer, tags, start_ns, end_ns)} GROUP BY *"
        )
        frames: list[SeriesFrame] = []
        for s in self._get(query):
            columns = list(s.get("columns", []))
            rows = s.get("values", [])
            time_ns = np.array([int(r[0]) for r in rows], dtype=np.int64)
            values = {}
            for name in names:
                if name in columns:
                    i = columns.index(name)
                    column = [np.nan if r[i] is None else float(r[i]) for r in rows]
                    values[name] = np.array(column, dtype=np.float64)
                else:
                    values[name] = np.full(len(rows), np.nan)
            order = np.argsort(time_ns, kind="stable")
            frames.append(
                SeriesFrame(
                    measurement,
                    dict(s.get("tags") or {}),
                    time_ns[order],
                    {k: v[order] for k, v in values.items()},
                )
            )
        return frames
