"""Several sensors at once: one :class:`SensorLink` and one processing core per role.

:class:`SensorHub` runs a link per worn sensor (``lumbar``, ``pelvis``), feeds each link's
sample blocks to that role's :class:`~sensor_hub.processing.PostureProcessor`, and, with both
roles, the lumbar − pelvis angle through :class:`~sensor_hub.processing.twosensor.PelvisAligner`
(both sensors' samples are on host time, so they align).  When a processor emits an
``alerted`` event the hub pulses the wearer's lumbar sensor (or the only sensor).  Everything
it learns goes to subscribers as :data:`HubOutput`: callbacks (:meth:`SensorHub.add_listener`)
or an async iterator (:meth:`SensorHub.outputs`).  The MQTT layer consumes these.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Self

from firmware_protocol import HapticPattern, ResultCode, haptic_pattern_ms
from sensor_hub.ble.link import (
    BleTransport,
    LinkConfig,
    LinkError,
    LinkGap,
    LinkStatus,
    SensorLink,
    SensorTarget,
)
from sensor_hub.processing import Phase, PostureBlock, PostureProcessor, ProcessingConfig, Role
from sensor_hub.processing.detector import EpisodeEvent
from sensor_hub.processing.twosensor import PelvisAligner
from sensor_hub.samples import FloatArray, SampleBlock

__all__ = [
    "AlertHaptic",
    "EpisodeUpdate",
    "HubOutput",
    "LinkUpdate",
    "PostureUpdate",
    "SensorHub",
    "SensorSpec",
]

log = logging.getLogger(__name__)

#: Outputs an async-iterator subscriber may fall behind by; beyond it the oldest are dropped
#: (a slow consumer must not grow the hub's memory without bound).
OUTPUT_QUEUE_SIZE: Final = 1000
#: The result recorded for an alert that came while the motor still ran the previous pattern:
#: the wearer is being buzzed already, and the sensor would answer BUSY (§7.1).
MERGED: Final = "merged"
#: The result recorded for an alert while the wearer paused or snoozed alerts.
PAUSED: Final = "paused"


@dataclass(frozen=True, slots=True)
class SensorSpec:
    """A sensor the hub should connect to, and where it is worn."""

    target: SensorTarget
    role: Role = Role.LUMBAR


@dataclass(frozen=True, slots=True)
class AlertHaptic:
    """The pulse sent when an episode alerts (§7 HAPTIC_PULSE parameters)."""

    pattern: HapticPattern = HapticPattern.DOUBLE
    intensity_pct: int = 80
    duration_ms: int = 300


#: The pulse sent on alerts unless the hub is told otherwise.
DEFAULT_ALERT_HAPTIC: Final = AlertHaptic()


@dataclass(frozen=True, slots=True, eq=False)
class PostureUpdate:
    """One processed block of one sensor; ``relative_flexion_deg`` (lumbar − pelvis at the
    lumbar sample times, NaN where unknown) only on lumbar blocks when a pelvis sensor runs."""

    role: Role
    sensor: str
    block: PostureBlock
    relative_flexion_deg: FloatArray | None
    samples: SampleBlock | None = None  # the decoded samples the block was computed from


@dataclass(frozen=True, slots=True)
class EpisodeUpdate:
    """An episode event of one sensor's detector."""

    role: Role
    sensor: str
    event: EpisodeEvent


@dataclass(frozen=True, slots=True)
class LinkUpdate:
    """A link connected, disconnected, or reported a gap."""

    role: Role
    status: LinkStatus
    gap: LinkGap | None = None


HubOutput = PostureUpdate | EpisodeUpdate | LinkUpdate


class _Closed:
    """Marks the end of an output stream."""


_CLOSED: Final = _Closed()


class SensorHub:
    """Links, processors and subscribers; ``async with SensorHub(...) as hub``.

    Args:
        sensors: one spec per role (roles must differ).
        transport: bleak backends (default: the platform's radio).
        link_config: shared by every link (rate, timeouts).
        processing: the core's configuration (its role and rate are set per sensor).
        alert_haptic: the pulse on alerts (``None``: no pulse).
        clock: host time for every link (default: the loop's clock on wall time).
        pelvis_max_hold_s: how long past its newest sample a pelvis angle still counts
            (:class:`PelvisAligner`); raise it for accelerated replay, which multiplies the
            arrival jitter between the two sensors by the replay speed.
    """

    def __init__(
        self,
        sensors: Sequence[SensorSpec],
        *,
        transport: BleTransport | None = None,
        link_config: LinkConfig | None = None,
        processing: ProcessingConfig | None = None,
        alert_haptic: AlertHaptic | None = DEFAULT_ALERT_HAPTIC,
        clock: Callable[[], float] | None = None,
        pelvis_max_hold_s: float = 0.1,
    ) -> None:
        roles = [spec.role for spec in sensors]
        if not roles:
            raise ValueError("the hub needs at least one sensor")
        if len(set(roles)) != len(roles):
            raise ValueError(f"each role may be worn once, got {', '.join(roles)}")
        self.link_config = link_config or LinkConfig()
        base = processing or ProcessingConfig()
        self.alert_haptic = alert_haptic
        self.links: dict[Role, SensorLink] = {}
        self.processors: dict[Role, PostureProcessor] = {}
        for spec in sensors:
            link = SensorLink(
                spec.target,
                transport=transport,
                config=self.link_config,
                on_samples=self._samples_handler(spec.role),
                on_gap=self._gap_handler(spec.role),
                on_state=self._state_handler(spec.role),
                clock=clock,
            )
            self.links[spec.role] = link
            # A third-party device runs at its supported rate nearest the configured one.
            self.processors[spec.role] = PostureProcessor(
                dataclasses.replace(base, role=spec.role, sample_rate_hz=float(link.rate_hz))
            )
        self._aligner = (
            PelvisAligner(pelvis_max_hold_s) if {Role.LUMBAR, Role.PELVIS} <= set(roles) else None
        )
        self.latest: dict[Role, PostureUpdate] = {}
        #: The newest episode event of each role.
        self.last_event: dict[Role, EpisodeEvent] = {}
        #: (role, result) of every alert pulse sent.
        self.haptic_results: list[tuple[Role, ResultCode | str]] = []
        self.dropped_outputs = 0
        self._listeners: list[Callable[[HubOutput], None]] = []
        self._queues: list[asyncio.Queue[HubOutput | _Closed]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._motor_busy_until: dict[Role, float] = {}  # loop time, per pulsed sensor
        self._clock = clock or time.time
        #: Host time until which alerts do not buzz (pause / snooze); ``None``: not paused.
        self.paused_until_s: float | None = None
        self._running = False

    # -- life cycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def start(self) -> None:
        """Start every link (from a running loop)."""
        self._running = True
        for link in self.links.values():
            link.start()

    async def stop(self) -> None:
        """Stop every link cleanly, wait for pending alert pulses, end the output streams."""
        if not self._running:
            return
        self._running = False
        await asyncio.gather(*(link.stop() for link in self.links.values()))
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self.link_config.command_timeout_s)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for queue in self._queues:
            self._put(queue, _CLOSED)

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Wait until every link is up."""
        async with asyncio.timeout(timeout):
            await asyncio.gather(*(link.wait_connected() for link in self.links.values()))

    def status(self) -> dict[Role, LinkStatus]:
        """Every link's status now."""
        return {role: link.status() for role, link in self.links.items()}

    # -- subscribers ----------------------------------------------------------------------------

    def add_listener(self, listener: Callable[[HubOutput], None]) -> Callable[[], None]:
        """Call ``listener`` with every output (in the event loop); returns an unsubscriber."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def outputs(self) -> AsyncIterator[HubOutput]:
        """Every output from now on, until the hub stops (drops the oldest when behind)."""
        queue: asyncio.Queue[HubOutput | _Closed] = asyncio.Queue(OUTPUT_QUEUE_SIZE)
        self._queues.append(queue)
        try:
            while True:
                item = await queue.get()
                if isinstance(item, _Closed):
                    return
                yield item
        finally:
            self._queues.remove(queue)

    def _put(self, queue: asyncio.Queue[HubOutput | _Closed], item: HubOutput | _Closed) -> None:
        if queue.full():
            queue.get_nowait()
            self.dropped_outputs += 1
        queue.put_nowait(item)

    def _emit(self, output: HubOutput) -> None:
        for listener in list(self._listeners):
            try:
                listener(output)
            except Exception:
                log.exception("hub listener failed")
        for queue in self._queues:
            self._put(queue, output)

    # -- from the links -------------------------------------------------------------------------

    def _samples_handler(self, role: Role) -> Callable[[SensorLink, SampleBlock], None]:
        def handle(link: SensorLink, block: SampleBlock) -> None:
            self._on_samples(role, link, block)

        return handle

    def _gap_handler(self, role: Role) -> Callable[[SensorLink, LinkGap], None]:
        def handle(link: SensorLink, gap: LinkGap) -> None:
            self._emit(LinkUpdate(role, link.status(), gap))

        return handle

    def _state_handler(self, role: Role) -> Callable[[SensorLink], None]:
        def handle(link: SensorLink) -> None:
            self._emit(LinkUpdate(role, link.status()))

        return handle

    def _on_samples(self, role: Role, link: SensorLink, block: SampleBlock) -> None:
        posture = self.processors[role].process(block)
        relative: FloatArray | None = None
        if self._aligner is not None:
            try:
                if role is Role.PELVIS:
                    self._aligner.add_pelvis(posture.timestamp_s, posture.flexion_deg)
                else:
                    relative = self._aligner.relative(posture.timestamp_s, posture.flexion_deg)
            except ValueError as exc:  # a pelvis block out of time order: skip it, say why
                log.warning("%s: %s", link.name, exc)
        update = PostureUpdate(role, link.name, posture, relative, block)
        self.latest[role] = update
        self._emit(update)
        for event in posture.events:
            self.last_event[role] = event
            self._emit(EpisodeUpdate(role, link.name, event))
            if event.phase is Phase.ALERTED:
                self._alert(role)

    def _alert(self, role: Role) -> None:
        if not self._running or self.alert_haptic is None:  # None: an alert policy decides
            return
        if self.paused:
            log.info("alert (%s) while paused: no pulse", role)
            self.haptic_results.append((role, PAUSED))
            return
        self.pulse(role)

    @property
    def paused(self) -> bool:
        """Whether alerts are silenced now (``paused_until_s`` in the future)."""
        return self.paused_until_s is not None and self._clock() < self.paused_until_s

    def pulse(self, alerted: Role, haptic: AlertHaptic | None = None) -> bool:
        """Buzz the wearer's lumbar sensor (or the only one) for an alert of ``alerted``, with
        ``haptic`` (default: the hub's ``alert_haptic``); the result lands in
        ``haptic_results``.  Returns False, and records :data:`MERGED`, when the motor still
        runs the previous pattern: the wearer is being buzzed already.  Call it on the hub's
        event loop."""
        haptic = haptic or self.alert_haptic
        if haptic is None:
            return False
        target = Role.LUMBAR if Role.LUMBAR in self.links else next(iter(self.links))
        loop = asyncio.get_running_loop()
        if loop.time() < self._motor_busy_until.get(target, -math.inf):
            name = self.links[target].name
            log.info("%s: alert (%s) merged into the pulse running", name, alerted)
            self.haptic_results.append((alerted, MERGED))
            return False
        # Busy from now (until the response tells when the pattern really started).
        pattern_s = haptic_pattern_ms(haptic.pattern, haptic.duration_ms) / 1000.0
        self._motor_busy_until[target] = loop.time() + self.link_config.command_timeout_s
        task = loop.create_task(self._pulse(target, alerted, haptic, pattern_s))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _pulse(
        self, target: Role, alerted: Role, haptic: AlertHaptic, pattern_s: float
    ) -> None:
        link = self.links[target]
        try:
            result: ResultCode | str = await link.haptic(
                haptic.pattern, haptic.intensity_pct, haptic.duration_ms
            )
        except LinkError as exc:
            result = str(exc)
        # The pattern runs from the device's SUCCESS; anything else leaves the motor free.
        busy = pattern_s if result is ResultCode.SUCCESS else 0.0
        self._motor_busy_until[target] = asyncio.get_running_loop().time() + busy
        shown = result.name if isinstance(result, ResultCode) else result
        log.info("%s: alert (%s) -> haptic pulse: %s", link.name, alerted, shown)
        self.haptic_results.append((alerted, result))
