"""Reading the generated dashboard JSON the way Grafana does: panels (also inside collapsed
rows), their targets, and the InfluxQL of a target with the macros and variables substituted."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sensor_hub.grafana import DASHBOARD_FILE

REPO = Path(__file__).resolve().parents[2]
GRAFANA_DIR = REPO / "dashboards" / "grafana"


def load_dashboard() -> dict[str, Any]:
    return json.loads((GRAFANA_DIR / DASHBOARD_FILE).read_text(encoding="utf-8"))


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every non-row panel, nested ones included."""
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            yield from panels({"panels": panel.get("panels", [])})
        else:
            yield panel


def panel(dashboard: dict[str, Any], title: str) -> dict[str, Any]:
    (found,) = [p for p in panels(dashboard) if p["title"] == title]
    return found


def measurement_of(query: str) -> str:
    """The measurement a query reads (the innermost FROM)."""
    return re.findall(r'FROM "([A-Za-z_][A-Za-z0-9_]*)"', query)[-1]


def render(
    query: str,
    start_ns: int,
    end_ns: int,
    *,
    interval: str = "1m",
    wearer: str = "alice",
    sensor: str = "lumbar",
) -> str:
    """The InfluxQL Grafana sends: ``$timeFilter`` as epoch milliseconds, ``$__interval``, and
    single-valued regex variables escaped."""
    time_filter = f"time >= {start_ns // 1_000_000}ms and time <= {end_ns // 1_000_000}ms"
    return (
        query.replace("$timeFilter", time_filter)
        .replace("$__interval", interval)
        .replace("$wearer", re.escape(wearer))
        .replace("$sensor", re.escape(sensor))
    )
