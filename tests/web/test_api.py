"""The dashboard's JSON and CSV API on a recorded day in a real SQLite store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from sensor_hub.mqtt.commands import parse_command
from sensor_hub.mqtt.topics import Topics
from tests.web.conftest import DAY, WEARER, RecordedDay, api_client, run_async


def test_day_reports_bands_score_episodes_prompts_and_trend(
    recorded_day: RecordedDay, shares_by_count: dict[str, float]
) -> None:
    async def body() -> None:
        api = await api_client(recorded_day.store_path)()
        async with api.client as client:
            response = await client.get(f"/api/day/{DAY}")
            assert response.status == 200
            day = await response.json()
        assert day["wearer"] == WEARER
        assert day["sensor"] == "lumbar"
        assert day["sensors"] == ["lumbar"]
        recorded = len(recorded_day.telemetry) * 0.2
        assert day["recorded_s"] == pytest.approx(recorded, rel=0.01)
        assert sum(day["activity_s"].values()) == pytest.approx(day["recorded_s"], abs=1.0)
        shares = day["band_share"]
        assert sum(v for v in shares.values() if v is not None) == pytest.approx(1.0, abs=1e-3)
        for band, share in shares_by_count.items():
            assert shares[band] == pytest.approx(share, abs=0.01), band
        good = shares_by_count.get("neutral", 0.0) + shares_by_count.get("mild", 0.0)
        assert day["score"] == pytest.approx(100 * good, abs=1.0)
        assert "neutral or mild" in day["score_definition"]

        starts = {round(e.start_s, 3) for e in recorded_day.episodes}
        assert day["episodes"]["count"] == len(starts) > 0
        ended = [e for e in recorded_day.episodes if e.duration_s is not None]
        assert day["episodes"]["longest_s"] == pytest.approx(max(e.duration_s for e in ended))
        assert day["episodes"]["alerted"] == len(recorded_day.prompts)
        assert day["prompts"]["shown"] == len(recorded_day.prompts)
        assert day["prompts"]["answers"]["done"] == recorded_day.answers.count("done")
        assert day["prompts"]["answers"]["skip"] == recorded_day.answers.count("skip")
        assert day["alerts"] == {"buzzes": None, "suppressed": None}

        timeline = day["timeline"]
        assert len(timeline["cells"]) == 24 * 60
        nine = 9 * 60
        assert timeline["cells"][nine - 1] == -1  # nothing before 09:00
        assert timeline["cells"][nine + 5] in range(7)
        assert timeline["flexion_deg"][nine + 5] is not None

        trend = day["trend"]
        assert [d["day"] for d in trend][-2:] == ["2026-11-19", "2026-11-20"]
        assert trend[-1]["score"] == day["score"]
        assert trend[-2]["upright_s"] > 0
        assert trend[0]["score"] is None

    run_async(body)


def test_empty_day_and_missing_store_are_days_without_data(
    recorded_day: RecordedDay, tmp_path: Path
) -> None:
    async def body() -> None:
        for path in (recorded_day.store_path, tmp_path / "absent.sqlite"):
            api = await api_client(path)()
            async with api.client as client:
                response = await client.get("/api/day/2026-01-01")
                assert response.status == 200
                day = await response.json()
            assert day["recorded_s"] == 0
            assert day["score"] is None
            assert day["episodes"]["count"] == 0
            assert set(day["timeline"]["cells"]) == {-1}

    run_async(body)


def test_csv_export_of_a_day(recorded_day: RecordedDay) -> None:
    async def body() -> None:
        api = await api_client(recorded_day.store_path)()
        async with api.client as client:
            response = await client.get(f"/api/day/{DAY}.csv")
            assert response.status == 200
            assert response.content_type == "text/csv"
            assert "attachment" in response.headers["Content-Disposition"]
            text = await response.text()
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == len(recorded_day.telemetry)
        first = recorded_day.telemetry[0]
        assert rows[0]["sensor"] == "lumbar"
        assert float(rows[0]["ts"]) == pytest.approx(first.ts_s, abs=1e-3)
        assert float(rows[0]["flexion_deg"]) == pytest.approx(first.flexion_deg, abs=0.01)
        assert rows[0]["band"] == first.band.label
        assert rows[0]["time"].startswith("2026-11-20T09:00:00")

    run_async(body)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/api/day/2026-13-01", "bad day"),
        ("/api/day/yesterday", "bad day"),
        ("/api/day/2026-02-30.csv", "bad day"),
        ("/api/trend/20261120", "bad day"),
        (f"/api/day/{DAY}?wearer=bob", "unknown wearer"),
        (f"/api/day/{DAY}?wearer=Not%20A%20Wearer", "bad wearer id"),
        (f"/api/day/{DAY}?sensor=knee", "unknown sensor"),
        (f"/api/day/{DAY}?wearer=" + "x" * 5000, "bad wearer id"),
    ],
)
def test_bad_input_is_a_clear_400(recorded_day: RecordedDay, path: str, message: str) -> None:
    async def body() -> None:
        api = await api_client(recorded_day.store_path)()
        async with api.client as client:
            response = await client.get(path)
            assert response.status == 400
            assert message in (await response.json())["error"]
            assert (await client.get(f"/api/day/{DAY}")).status == 200  # still serving

    run_async(body)


def test_trend_and_info(recorded_day: RecordedDay) -> None:
    async def body() -> None:
        api = await api_client(recorded_day.store_path)()
        async with api.client as client:
            trend = await (await client.get(f"/api/trend/{DAY}")).json()
            info = await (await client.get("/api/info")).json()
            page = await client.get("/")
            script = await client.get("/static/app.js")
            assert page.status == 200
            assert "posture-hub" in await page.text()
            assert script.status == 200
            assert (await client.get("/static/../app.py")).status in {403, 404}
        assert len(trend) == 7
        assert info["wearer"] == WEARER
        assert info["codes"]["band"]["1"] == "neutral"

    run_async(body)


def test_commands_are_checked_then_published_on_the_command_topic(
    recorded_day: RecordedDay,
) -> None:
    topics = Topics(WEARER)

    async def body() -> None:
        api = await api_client(recorded_day.store_path)()
        async with api.client as client:
            ok = await client.post(
                "/api/command",
                json={"command": "prompt_ack", "prompt_id": "p-1", "answer": "done"},
            )
            api.mqtt.hub_answers = False
            silent = await client.post("/api/command", json={"command": "resume"})
            bad = await client.post("/api/command", json={"command": "snooze", "duration_s": -1})
            unknown = await client.post("/api/command", json={"command": "explode"})
            not_json = await client.post(
                "/api/command", data=b"{", headers={"Content-Type": "application/json"}
            )
            form = await client.post("/api/command", data={"command": "resume"})
            assert ok.status == 200
            assert bad.status == 400
            assert "out_of_range" in (await bad.json())["error"]
            assert unknown.status == 400
            assert not_json.status == 400
            assert form.status == 415
            result = await ok.json()
            assert (await silent.json())["reply"] is None  # no hub answered in time
        assert result["sent"] is True
        assert result["reply"]["ok"] is True
        assert result["reply"]["id"] == result["id"]
        assert len(api.mqtt.published) == 2  # the refused ones were never sent
        (topic, payload, qos) = api.mqtt.published[0]
        assert topic == topics.command
        assert qos == 1
        command = parse_command(payload)
        assert command.name == "prompt_ack"
        assert json.loads(payload)["id"] == result["id"]

    run_async(body)
