"""Desktop notifications: the text of each decision (pure), and the program really run."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from sensor_hub.alerts import AlertPolicy, Buzz, Prompt
from sensor_hub.processing import Role
from sensor_hub.processing.detector import Episode, EpisodeEvent, Phase
from sensor_hub.service.desktop import desktop_notifier, notification_text

T0 = 1_764_064_800.0  # 10:00 UTC, outside the default quiet hours in UTC


def alert_actions() -> tuple[Buzz, Prompt]:
    policy = AlertPolicy()
    start = EpisodeEvent(Phase.STARTED, T0 + 10, Episode("forward_lean", T0, None, None, 25, 24))
    alerted = EpisodeEvent(
        Phase.ALERTED, T0 + 30, Episode("forward_lean", T0, T0 + 30, None, 26, 24)
    )
    actions = list(policy.on_episode(start)) + list(policy.on_episode(alerted))
    buzz = next(a for a in actions if isinstance(a, Buzz))
    prompt = next(a for a in actions if isinstance(a, Prompt))
    return buzz, prompt


def test_texts() -> None:
    buzz, prompt = alert_actions()
    assert buzz.role is Role.LUMBAR
    summary, body, timeout = notification_text(prompt) or ("", "", 0)
    assert summary == f"Time for: {prompt.move.name}"
    assert prompt.why in body
    assert timeout == 60_000
    assert notification_text(buzz) == (
        "Posture: leaning forward",
        "Sit or stand tall for a moment.",
        10_000,
    )


def test_notify_send_is_run_with_the_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "calls.txt"
    program = tmp_path / "bin" / "notify-send"
    program.parent.mkdir()
    program.write_text(
        f'#!/bin/sh\nfor a in "$@"; do echo "$a" >> {log}; done\necho --- >> {log}\n'
    )
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{program.parent}:/usr/bin:/bin")
    buzz, prompt = alert_actions()

    async def body() -> None:
        notify = desktop_notifier()
        assert notify is not None
        notify(buzz)
        notify(prompt)
        for _ in range(200):
            if log.exists() and log.read_text().count("---") == 2:
                break
            await asyncio.sleep(0.02)

    asyncio.run(body())
    calls = log.read_text().split("---\n")
    assert "--app-name=posture-hub" in calls[0]
    assert "Posture: leaning forward" in "".join(calls)
    assert f"Time for: {prompt.move.name}" in "".join(calls)


def test_without_notify_send_there_is_no_notifier(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert desktop_notifier() is None
