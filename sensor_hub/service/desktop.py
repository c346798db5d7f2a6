"""Optional desktop notifications of alerts and prompts (``notify-send``, freedesktop.org).

For a wearer whose hub runs on their own computer: the prompt card (move, why, first step)
also pops up on the desktop.  ``notify-send`` is looked up on the PATH; without it (a server,
a Raspberry Pi without a desktop) :func:`desktop_notifier` returns ``None`` and says so once.
Notifications are fire-and-forget subprocesses: a slow or failing desktop never holds up the
hub, and a failure is logged, not raised.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable
from typing import Final

from sensor_hub.alerts import Action, Buzz, Prompt

__all__ = ["desktop_notifier", "notification_text"]

log = logging.getLogger(__name__)

APP_NAME: Final = "posture-hub"
#: How long a prompt notification stays up (ms); an alert's is shorter.
PROMPT_TIMEOUT_MS: Final = 60_000
ALERT_TIMEOUT_MS: Final = 10_000


def notification_text(action: Action) -> tuple[str, str, int] | None:
    """``(summary, body, timeout_ms)`` for the decisions worth a notification (pure)."""
    if isinstance(action, Prompt):
        move = action.move
        first = move.steps[0] if move.steps else ""
        return f"Time for: {move.name}", f"{action.why}\n{first}", PROMPT_TIMEOUT_MS
    if isinstance(action, Buzz):
        lean = "pelvis tilted forward" if action.kind == "pelvic_tilt" else "leaning forward"
        again = "" if action.level == 0 else " (still)"
        return f"Posture: {lean}{again}", "Sit or stand tall for a moment.", ALERT_TIMEOUT_MS
    return None


def desktop_notifier(program: str = "notify-send") -> Callable[[Action], None] | None:
    """A callback for :class:`~sensor_hub.service.alerting.AlertService` decisions that shows
    them on the desktop; ``None`` when ``program`` is not installed.  Call it on the loop."""
    path = shutil.which(program)
    if path is None:
        log.warning("%s not found: no desktop notifications", program)
        return None
    tasks: set[asyncio.Task[None]] = set()

    async def show(summary: str, body: str, timeout_ms: int) -> None:
        try:
            proc = await asyncio.create_subprocess_exec(
                path,
                f"--app-name={APP_NAME}",
                f"--expire-time={timeout_ms}",
                summary,
                body,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            if await proc.wait() != 0:
                log.info("%s exited with %s", program, proc.returncode)
        except OSError as exc:
            log.info("desktop notification failed: %s", exc)

    def notify(action: Action) -> None:
        text = notification_text(action)
        if text is None:
            return
        task = asyncio.get_running_loop().create_task(show(*text))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    return notify
