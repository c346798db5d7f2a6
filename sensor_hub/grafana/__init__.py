"""The Grafana dashboard and provisioning files, generated from the store schema.

``python -m sensor_hub.grafana [DIR]`` writes them under ``DIR`` (default
``dashboards/grafana``); ``--check`` only compares and fails when the checked-in files differ
(``docs/grafana.md``).  :func:`generated_files` is pure: path -> text.
"""

from __future__ import annotations

import json

from sensor_hub.grafana.dashboard import dashboard
from sensor_hub.grafana.provisioning import dashboard_provider_yaml, datasource_yaml

__all__ = ["DASHBOARD_FILE", "generated_files"]

DASHBOARD_FILE = "dashboards/posture-hub.json"


def generated_files() -> dict[str, str]:
    """Every generated file, by path relative to ``dashboards/grafana``."""
    return {
        DASHBOARD_FILE: json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n",
        "provisioning/datasources/posture-influxdb.yaml": datasource_yaml(),
        "provisioning/dashboards/posture-hub.yaml": dashboard_provider_yaml(),
    }
