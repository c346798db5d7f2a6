"""The built-in web dashboard: live posture from MQTT, history from the embedded store,
commands to the hub — one aiohttp component (:class:`DashboardServer`); docs/dashboard.md."""

from sensor_hub.web.auth import TOKEN_ENV, AuthError
from sensor_hub.web.server import DEFAULT_PORT, DashboardError, DashboardServer

__all__ = ["DEFAULT_PORT", "TOKEN_ENV", "AuthError", "DashboardError", "DashboardServer"]
