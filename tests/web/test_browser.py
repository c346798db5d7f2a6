"""The dashboard in Debian's chromium driven by Playwright, on a real mosquitto with live
messages flowing: the page loads without console errors, live values move, the forward
direction's hint turns into where it was learned from, a prompt appears
and its done / snooze buttons send the real commands (seen on the broker), an action sends its
command, and the history view shows the recorded day.  Screenshots go to the test's temporary
directory, or to ``$POSTURE_HUB_TEST_ARTIFACTS`` when set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from time import time as time_s
from typing import Any

import pytest
from playwright import sync_api

from sensor_hub.mqtt.config import MqttConfig
from sensor_hub.mqtt.messages import PromptMessage
from sensor_hub.mqtt.topics import Topics
from sensor_hub.processing import Role
from sensor_hub.processing.calibration import ForwardAxis
from sensor_hub.web import DashboardServer
from sensor_hub.web.history import History
from tests.servers.mosquitto import Mosquitto
from tests.web.conftest import (
    DAY,
    WEARER,
    HubStandIn,
    RecordedDay,
    serving,
    wait_until,
)


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    base = os.environ.get("POSTURE_HUB_TEST_ARTIFACTS")
    path = (Path(base) if base else tmp_path) / "dashboard"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def hub(mosquitto: Mosquitto) -> Iterator[HubStandIn]:
    stand_in = HubStandIn(mosquitto.url, Topics(WEARER))
    stand_in.start()
    try:
        yield stand_in
    finally:
        stand_in.stop()


def _prompt(prompt_id: str) -> PromptMessage:
    detail = {
        "name": "Seated knee hug",
        "why": "You leaned forward for 2 min while sitting.",
        "steps": "Sit tall.\nHug one knee.\nHold.",
        "dose": "hold 30 s",
        "duration_s": 30,
        "safety": "Stop on pain.",
    }
    return PromptMessage(
        WEARER, time_s(), prompt_id, "seated_knee_hug", "lean_sitting", Role.LUMBAR, detail
    )


def _answered(hub: HubStandIn, prompt_id: str, answer: str) -> bool:
    return any(
        c.get("prompt_id") == prompt_id and c.get("answer") == answer
        for c in hub.commands_named("prompt_ack")
    )


def _page(browser: Any, errors: list[str]) -> Any:
    page = browser.new_page(viewport={"width": 1200, "height": 1100})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


def test_dashboard_in_chromium(
    mosquitto: Mosquitto,
    hub: HubStandIn,
    recorded_day: RecordedDay,
    artifacts: Path,
    chromium: Any,
) -> None:
    expect = sync_api.expect
    expected = History(recorded_day.store_path, UTC).day(WEARER, DAY)
    server = DashboardServer(
        store_path=recorded_day.store_path,
        mqtt=MqttConfig(url=mosquitto.url),
        topics=Topics(WEARER),
        port=None,
        tz=UTC,
    )
    errors: list[str] = []
    with serving(server) as url:
        page = _page(chromium, errors)
        page.goto(url)
        # live values arrive and move
        expect(page.locator("#connection")).to_have_text("live")
        expect(page.locator("#wearer")).to_have_text(WEARER)
        expect(page.locator("#battery")).to_have_text("87 %")
        expect(page.locator("#posture")).to_have_text("upright")
        value = page.locator("#flexion-value")
        expect(value).not_to_have_text("–")
        first = value.inner_text()
        expect(value).not_to_have_text(first)
        float(value.inner_text())
        # where the forward direction comes from: unknown from an older hub, then the hint
        # until it is learned, then where it was learned from and the mounting yaw
        forward = page.locator("#forward-axis")
        expect(forward).to_have_text("–")
        hub.set_forward_axis(ForwardAxis.CASE, 0.0)
        expect(forward).to_have_text("not learned yet — lean forward once, slowly, and come back")
        page.screenshot(path=str(artifacts / "forward-axis-hint.png"), full_page=True)
        hub.set_forward_axis(ForwardAxis.WALKING, -7.6)
        expect(forward).to_have_text("learned from walking (−8°)")
        hub.set_forward_axis(ForwardAxis.BENDS, 12.3)
        expect(forward).to_have_text("learned from bends (+12°)")
        page.screenshot(path=str(artifacts / "live.png"), full_page=True)

        # a prompt: the banner, then "done" sends the real prompt_ack
        hub.publish_event(_prompt("p-live-1"))
        banner = page.locator("#prompt-banner")
        expect(banner).to_be_visible()
        expect(page.locator("#prompt-name")).to_have_text("Seated knee hug")
        expect(page.locator("#prompt-steps li")).to_have_count(3)
        expect(page.locator("#prompt-timer")).to_contain_text("hold")
        page.screenshot(path=str(artifacts / "prompt.png"), full_page=True)
        page.click("#prompt-done")
        wait_until(lambda: _answered(hub, "p-live-1", "done"))
        expect(banner).to_be_hidden()

        # the next prompt snoozed
        hub.publish_event(_prompt("p-live-2"))
        expect(banner).to_be_visible()
        page.click("#prompt-snooze")
        wait_until(lambda: _answered(hub, "p-live-2", "snooze"))
        expect(banner).to_be_hidden()

        # actions
        page.click("#act-snooze")
        wait_until(lambda: hub.commands_named("snooze"))
        expect(page.locator("#action-status")).to_have_text("snooze: done by the hub")
        assert hub.commands_named("snooze")[0]["duration_s"] == 900
        page.fill("#thresholds input[name=threshold_deg]", "25")
        page.click("#act-thresholds")
        wait_until(lambda: hub.commands_named("set_thresholds"))
        assert hub.commands_named("set_thresholds")[0]["threshold_deg"] == 25

        # the history of the recorded day
        page.click("#tab-history")
        page.fill("#day", DAY.isoformat())
        page.dispatch_event("#day", "change")
        episodes = expected["episodes"]
        assert isinstance(episodes, dict)
        expect(page.locator("#episode-count")).to_have_text(str(episodes["count"]))
        score = expected["score"]
        assert isinstance(score, float)
        expect(page.locator("#score")).to_have_text(f"{score:.0f}")
        expect(page.locator("#episode-rows tr")).to_have_count(int(episodes["count"]))
        expect(page.locator("#prompts-shown")).to_have_text(str(len(recorded_day.prompts)))
        href = page.get_attribute("#csv-link", "href")
        assert href == f"/api/day/{DAY}.csv"
        page.screenshot(path=str(artifacts / "history.png"), full_page=True)
        page.click("#day-prev")
        expect(page.locator("#day")).to_have_value("2026-11-19")
        expect(page.locator("#episode-count")).to_have_text("0")
    assert errors == []
    for name in ("live", "prompt", "history"):
        assert (artifacts / f"{name}.png").stat().st_size > 10_000


def test_the_page_passes_its_token_on(
    mosquitto: Mosquitto, hub: HubStandIn, recorded_day: RecordedDay, chromium: Any
) -> None:
    expect = sync_api.expect
    token = "browser-token-0123456789"
    server = DashboardServer(
        store_path=recorded_day.store_path,
        mqtt=MqttConfig(url=mosquitto.url),
        topics=Topics(WEARER),
        port=None,
        token=token,
        tz=UTC,
    )
    errors: list[str] = []
    with serving(server) as url:
        page = _page(chromium, errors)
        page.goto(f"{url}?token={token}")
        expect(page.locator("#connection")).to_have_text("live")  # API and WebSocket
        page.click("#act-resume")
        wait_until(lambda: hub.commands_named("resume"))
        page.click("#tab-history")
        page.fill("#day", DAY.isoformat())
        page.dispatch_event("#day", "change")
        expect(page.locator("#prompts-shown")).to_have_text(str(len(recorded_day.prompts)))
        href = page.get_attribute("#csv-link", "href")
        assert href == f"/api/day/{DAY}.csv?token={token}"
        csv = page.request.get(url.rstrip("/") + href)
        assert csv.ok
        assert csv.text().startswith("time,ts,sensor")
    assert errors == []
