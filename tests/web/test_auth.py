"""Who may use the dashboard: loopback by default, a token anywhere else; foreign pages and
rebound host names are refused."""

from __future__ import annotations

import pytest

from sensor_hub.cli import main
from sensor_hub.mqtt.config import MqttConfig
from sensor_hub.mqtt.topics import Topics
from sensor_hub.web import DashboardError, DashboardServer
from sensor_hub.web.auth import AuthError, check_binding, is_loopback, token_matches
from tests.web.conftest import RecordedDay, api_client, run_async

TOKEN = "s3cret-token-0123456789"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.org", False),
        ("", False),
    ],
)
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_non_loopback_binding_needs_a_long_enough_token(tmp_path: object) -> None:
    check_binding("127.0.0.1", None)
    check_binding("0.0.0.0", TOKEN)
    with pytest.raises(AuthError, match="without a token"):
        check_binding("0.0.0.0", None)
    with pytest.raises(AuthError, match="at least 16"):
        check_binding("127.0.0.1", "short")
    with pytest.raises(DashboardError, match="without a token"):
        DashboardServer(
            store_path=tmp_path,  # type: ignore[arg-type]
            mqtt=MqttConfig(url="mqtt://127.0.0.1:1"),
            topics=Topics("alice"),
            host="0.0.0.0",
        )
    assert token_matches(TOKEN, TOKEN)
    assert not token_matches(TOKEN, TOKEN[:-1])
    assert not token_matches(TOKEN, None)


def test_the_command_refuses_to_serve_a_network_without_a_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POSTURE_HUB_DASHBOARD_TOKEN", raising=False)
    status = main(["dashboard", "--broker", "mqtt://127.0.0.1:1", "--host", "0.0.0.0"])
    assert status == 2
    assert "without a token" in capsys.readouterr().err
    assert main(["dashboard", "--wearer", "Bad Name", "--broker", "mqtt://127.0.0.1:1"]) == 2
    assert main(["dashboard"]) == 2  # no broker


def test_token_in_query_or_bearer_header(recorded_day: RecordedDay) -> None:
    async def body() -> None:
        api = await api_client(recorded_day.store_path, token=TOKEN)()
        async with api.client as client:
            assert (await client.get("/api/info")).status == 401
            assert (await client.get("/api/info?token=wrong-token-0123456789")).status == 401
            assert (await client.get(f"/api/info?token={TOKEN}")).status == 200
            bearer = {"Authorization": f"Bearer {TOKEN}"}
            assert (await client.get("/api/info", headers=bearer)).status == 200
            assert (await client.get("/api/day/2026-11-20.csv")).status == 401
            assert (await client.get("/api/ws")).status == 401
            wrong = {"Authorization": "Bearer nope"}
            assert (await client.post("/api/command", json={}, headers=wrong)).status == 401
            assert (await client.get("/")).status == 200  # the page holds no data
            assert (await client.get("/static/app.js")).status == 200
            # with a token any host name is fine (the token is the protection)
            other = {"Host": "posture.example:8080", **bearer}
            assert (await client.get("/api/info", headers=other)).status == 200
        assert api.mqtt.published == []

    run_async(body)


def test_without_a_token_foreign_hosts_and_origins_are_refused(recorded_day: RecordedDay) -> None:
    async def body() -> None:
        api = await api_client(recorded_day.store_path)()
        async with api.client as client:
            # DNS rebinding: a foreign name resolving to 127.0.0.1
            rebound = await client.get("/api/info", headers={"Host": "evil.example:8080"})
            assert rebound.status == 403
            assert (await client.get("/api/info", headers={"Host": "localhost:1"})).status == 200
            command = {"command": "resume"}
            foreign = {"Origin": "http://evil.example"}
            assert (await client.post("/api/command", json=command, headers=foreign)).status == 403
            ws = await client.get(
                "/api/ws",
                headers={**foreign, "Upgrade": "websocket", "Connection": "Upgrade"},
            )
            assert ws.status == 403
            own = {"Origin": str(client.make_url("")).rstrip("/")}
            assert (await client.post("/api/command", json=command, headers=own)).status == 200
        assert len(api.mqtt.published) == 1

    run_async(body)
