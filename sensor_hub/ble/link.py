"""One sensor's connection life cycle, as an asyncio task: find, connect, stream, reconnect.

:class:`SensorLink` uses only bleak's public API (``BleakScanner``, ``BleakClient``) and
bleak-retry-connector's ``establish_connection``; the backends come from a
:class:`BleTransport` (``None``: bleak's default for the platform, BlueZ on Linux; the tests
and ``--virtual`` bind Bumble's in-process link).  It never parses bytes itself: IMU
notifications go to :class:`firmware_protocol.StreamDecoder`, status and control responses to
the codec.  A bad packet is counted, logged with the device name and its bytes, and dropped.

After an unsolicited disconnection the link scans for the sensor again and reconnects by
itself, waiting :func:`reconnect_delay_s` between failed attempts, and reports the gap
(:class:`LinkGap`) when data flows again.  ``docs/ble.md`` describes the whole sequence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.device import BLEDevice
from bleak.exc import BleakError
from bleak_retry_connector import establish_connection

from firmware_protocol import (
    ControlRequest,
    ControlResponse,
    FeaturesPacket,
    HapticPulse,
    ProtocolError,
    ResultCode,
    SetRate,
    StartStreaming,
    StopStreaming,
    StreamDecoder,
    TimeSync,
    TimeSyncReply,
    Uuids,
    decode_control_response,
    decode_features,
    decode_status,
    encode_control_request,
)
from firmware_protocol.constants import RATE_HZ_TO_PERIOD_US
from firmware_protocol.control import Command
from sensor_hub.ble.profiles import DeviceStream
from sensor_hub.ble.target import (
    RECONNECT_BACKOFF_FACTOR,
    RECONNECT_BACKOFF_MAX_S,
    RECONNECT_BACKOFF_MIN_S,
    SILENCE_TIMEOUT_S,
    BleTransport,
    LinkConfig,
    LinkError,
    LinkGap,
    LinkStatus,
    SensorTarget,
    reconnect_delay_s,
)
from sensor_hub.samples import SampleBlock

__all__ = [
    "RECONNECT_BACKOFF_FACTOR",
    "RECONNECT_BACKOFF_MAX_S",
    "RECONNECT_BACKOFF_MIN_S",
    "SILENCE_TIMEOUT_S",
    "BleTransport",
    "LinkConfig",
    "LinkError",
    "LinkGap",
    "LinkStatus",
    "SensorLink",
    "SensorTarget",
    "reconnect_delay_s",
]

log = logging.getLogger(__name__)

#: bleak-retry-connector's attempts per connection (it retries transient BlueZ errors itself,
#: with its own short backoffs); the link's loop above retries beyond that.
_CONNECT_ATTEMPTS: Final = 3

#: Device Information characteristics read on connection (name in the status -> UUID).
_DEVICE_INFORMATION: Final = {
    "manufacturer": Uuids.MANUFACTURER_NAME,
    "model": Uuids.MODEL_NUMBER,
    "serial": Uuids.SERIAL_NUMBER,
    "firmware": Uuids.FIRMWARE_REVISION,
    "hardware": Uuids.HARDWARE_REVISION,
}

#: Errors of one connection attempt or session that the link survives (it retries).
_LINK_ERRORS: Final = (BleakError, TimeoutError, OSError, EOFError, ProtocolError, LinkError)


def _wall_clock() -> Callable[[], float]:
    """Host time in seconds: the loop's monotonic clock, shifted once onto wall time."""
    loop = asyncio.get_running_loop()
    offset = time.time() - loop.time()
    return lambda: loop.time() + offset


@dataclass
class _Counters:
    connections: int = 0
    gaps: int = 0
    watchdog_restarts: int = 0
    watchdog_reconnects: int = 0
    control_errors: Counter[str] = field(default_factory=Counter)


class SensorLink:
    """One sensor: :meth:`start` runs its life cycle as a task, :meth:`stop` ends it cleanly.

    Args:
        target: which sensor.
        transport: bleak backends (default: the platform's radio).
        config: rate, timeouts.
        on_samples: called with every decoded :class:`SampleBlock` (host time stamps).
        on_gap: called with every :class:`LinkGap` when data flows again.
        on_state: called when the link connects or disconnects.
        clock: host time in seconds (default: the loop's clock mapped to wall time).
    """

    def __init__(
        self,
        target: SensorTarget,
        *,
        transport: BleTransport | None = None,
        config: LinkConfig | None = None,
        on_samples: Callable[[SensorLink, SampleBlock], None] | None = None,
        on_gap: Callable[[SensorLink, LinkGap], None] | None = None,
        on_state: Callable[[SensorLink], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.target = target
        self.transport = transport or BleTransport()
        self.config = config or LinkConfig()
        self._on_samples = on_samples
        self._on_gap = on_gap
        self._on_state = on_state
        self._clock_arg = clock
        self._clock: Callable[[], float] = clock or time.time
        self.decoder = StreamDecoder(nominal_period_us=RATE_HZ_TO_PERIOD_US[self.config.rate_hz])
        #: A third-party device's profile and stream adapter (``None``: our protocol).
        self.profile = target.profile
        self.rate_hz = self.config.rate_hz
        self.device_stream: DeviceStream | None = None
        if self.profile is not None:
            self.rate_hz = self.profile.rate_for(self.config.rate_hz)
            axes = target.axes or self.profile.default_axes
            self.device_stream = self.profile.new_stream(axes, self.rate_hz)
        self.features: FeaturesPacket | None = None
        self.device_info: dict[str, str] = {}
        self.battery_pct: int | None = None
        self.last_error: str | None = None
        self._device: BLEDevice | None = None
        self._client: BleakClient | None = None
        self._streaming = False
        self._counters = _Counters()
        self._task: asyncio.Task[None] | None = None
        self._disconnected = asyncio.Event()
        self._stop_requested = asyncio.Event()
        self._connected_event = asyncio.Event()
        self._pending: dict[int, asyncio.Future[ControlResponse]] = {}
        self._token = 0
        self._last_data_s: float | None = None
        self._last_data_mono_s: float | None = None
        self._restart_task: asyncio.Task[None] | None = None
        self._last_device_us: int | None = None
        self._disconnected_at_s: float | None = None
        self._control_lock = asyncio.Lock()

    # -- public API -----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The sensor's name when known, else the target as given."""
        if self._device is not None and self._device.name:
            return self._device.name
        return str(self.target)

    @property
    def connected(self) -> bool:
        """The link is up and set up (subscribed, streaming requested)."""
        return self._connected_event.is_set()

    @property
    def data_age_s(self) -> float | None:
        """Seconds since the last IMU notification was accepted (``None`` before the first)."""
        if self._last_data_s is None:
            return None
        return max(0.0, self._clock() - self._last_data_s)

    def status(self) -> LinkStatus:
        """A snapshot of the link, at any time."""
        stats = self.decoder.stats
        samples, lost_samples, lost_packets = stats.samples, stats.lost_samples, stats.lost_packets
        rejected = dict(stats.errors)
        if self.device_stream is not None:
            device_stats = self.device_stream.stats
            samples, lost_samples, lost_packets = device_stats.samples, device_stats.lost_samples, 0
            rejected = dict(device_stats.errors)
        client = self._client
        for kind, count in self._counters.control_errors.items():
            rejected[f"control_{kind}"] = count
        return LinkStatus(
            target=str(self.target),
            name=self._device.name if self._device is not None else None,
            address=self._device.address if self._device is not None else None,
            connected=self.connected,
            streaming=self._streaming,
            battery_pct=self.battery_pct,
            rate_hz=self.rate_hz,
            mtu=client.mtu_size if client is not None and self.connected else None,
            samples=samples,
            lost_samples=lost_samples,
            lost_packets=lost_packets,
            rejected=rejected,
            connections=self._counters.connections,
            gaps=self._counters.gaps,
            watchdog_restarts=self._counters.watchdog_restarts,
            watchdog_reconnects=self._counters.watchdog_reconnects,
            data_age_s=self.data_age_s,
            last_error=self.last_error,
            device_info=dict(self.device_info),
        )

    def start(self) -> None:
        """Start the life cycle task (call from a running loop)."""
        if self._task is not None:
            raise RuntimeError("the link is already started")
        if self._clock_arg is None:
            self._clock = _wall_clock()
        self._stop_requested.clear()
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"sensor-link {self.target}"
        )

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Wait until the link is up (raises TimeoutError)."""
        async with asyncio.timeout(timeout):
            await self._connected_event.wait()

    async def stop(self) -> None:
        """Unsubscribe, STOP_STREAMING, disconnect, end the task; no task is left behind."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stop_requested.set()
        if self._client is None:  # scanning or connecting: nothing to tear down
            task.cancel()
        _, pending = await asyncio.wait({task}, timeout=self.config.command_timeout_s * 2)
        if pending:  # the sensor did not answer the teardown in time
            task.cancel()
            await asyncio.wait({task})
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("%s: link task failed", self.name, exc_info=exc)
        await self._close_client()

    async def haptic(self, pattern: int, intensity_pct: int, duration_ms: int) -> ResultCode:
        """Pulse the motor (§7: HAPTIC_PULSE); returns the sensor's result code."""
        response = await self.request(HapticPulse(int(pattern), intensity_pct, duration_ms))
        return response.result

    async def request(self, command: Command) -> ControlResponse:
        """Send one control point request and wait for its response (matched by token)."""
        if self.profile is not None:
            raise LinkError(f"{self.name}: a {self.profile.kind} device has no control point")
        client = self._client
        if client is None or not client.is_connected:
            raise LinkError(f"{self.name}: not connected")
        async with self._control_lock:  # the sensor answers in order; one token per request
            self._token = self._token % 255 + 1
            token = self._token
        future: asyncio.Future[ControlResponse] = asyncio.get_running_loop().create_future()
        self._pending[token] = future
        try:
            data = encode_control_request(ControlRequest(token, command))
            await client.write_gatt_char(Uuids.CONTROL_POINT, data, response=True)
            async with asyncio.timeout(self.config.command_timeout_s):
                return await future
        except TimeoutError as exc:
            raise LinkError(f"{self.name}: no response to {type(command).__name__}") from exc
        except BleakError as exc:
            raise LinkError(f"{self.name}: {type(command).__name__} failed: {exc}") from exc
        finally:
            self._pending.pop(token, None)

    # -- life cycle -----------------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while not self._stop_requested.is_set():
            try:
                device = await self._find()
                client = await self._connect(device)
                failures = 0
                await self._session(client)
            except _LINK_ERRORS as exc:
                failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("%s: %s", self.name, self.last_error)
                await self._close_client()
            if self._stop_requested.is_set():
                return
            delay_s = reconnect_delay_s(failures)
            if delay_s > 0:
                log.info("%s: next attempt in %.2f s", self.name, delay_s)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay_s):
                        await self._stop_requested.wait()

    async def _find(self) -> BLEDevice:
        target = self.target
        options: BleakScanner.ExtraArgs = {}
        if self.transport.scanner_backend is not None:
            options["backend"] = self.transport.scanner_backend
        if target.address is None and target.name is None and self.profile is None:
            # any posture sensor: filter by service
            options["service_uuids"] = [Uuids.POSTURE_SERVICE]
        device = await BleakScanner.find_device_by_filter(
            target.matches, timeout=self.config.scan_timeout_s, **options
        )
        if device is None:
            raise LinkError(f"{target} not found in {self.config.scan_timeout_s:g} s of scanning")
        self._device = device
        return device

    async def _connect(self, device: BLEDevice) -> BleakClient:
        self._disconnected.clear()
        client = await establish_connection(
            BleakClient,
            device,
            device.name or device.address,
            disconnected_callback=self._on_disconnected,
            max_attempts=_CONNECT_ATTEMPTS,
            backend=self.transport.client_backend,
        )
        self._client = client
        return client

    async def _session(self, client: BleakClient) -> None:
        await (self._set_up(client) if self.profile is None else self._set_up_device(client))
        self._counters.connections += 1
        self._connected_event.set()
        log.info("%s: streaming at %d Hz (ATT_MTU %d)", self.name, self.rate_hz, client.mtu_size)
        self._notify_state()
        loop = asyncio.get_running_loop()
        started_s = loop.time()
        next_sync_s = started_s + self.config.time_sync_interval_s
        silence_timeout_s = self.config.silence_timeout_s
        restarted = False
        try:
            while True:
                now_s = loop.time()
                last_s = max(started_s, self._last_data_mono_s or started_s)
                if now_s - last_s < silence_timeout_s / 2:
                    restarted = False  # data flowed since: a later stall gets its own restart
                watchdog_s = last_s + silence_timeout_s * (1.0 if restarted else 0.5)
                await self._wait_for_event(min(next_sync_s, watchdog_s) - now_s)
                if self._stop_requested.is_set():
                    await (
                        self._tear_down(client)
                        if self.profile is None
                        else self._tear_down_device(client)
                    )
                    return
                if self._disconnected.is_set():
                    log.warning("%s: disconnected; reconnecting", self.name)
                    return
                now_s = loop.time()
                silent_s = now_s - max(started_s, self._last_data_mono_s or started_s)
                if silent_s >= silence_timeout_s:
                    await self._watchdog_hang_up(silent_s)
                    return
                if silent_s >= silence_timeout_s / 2 and not restarted:
                    restarted = True
                    self._watchdog_restart(silent_s)
                if now_s >= next_sync_s and self.profile is None:
                    next_sync_s = now_s + self.config.time_sync_interval_s
                    try:
                        await self._time_sync()
                    except LinkError as exc:
                        log.warning("%s: periodic time sync failed: %s", self.name, exc)
        finally:
            await self._cancel_restart()
            self._connected_event.clear()
            self._streaming = False
            self._fail_pending()
            if self._disconnected.is_set():
                self._client = None
                self._disconnected_at_s = self._clock()
            self._notify_state()

    async def _wait_for_event(self, timeout_s: float) -> None:
        """Until the sensor disconnects, a stop is requested, or ``timeout_s`` passes."""
        waiters = {
            asyncio.ensure_future(self._disconnected.wait()),
            asyncio.ensure_future(self._stop_requested.wait()),
        }
        _, pending = await asyncio.wait(
            waiters, timeout=max(0.0, timeout_s), return_when=asyncio.FIRST_COMPLETED
        )
        for waiter in pending:
            waiter.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    # -- watchdog -------------------------------------------------------------------------------

    def _watchdog_restart(self, silent_s: float) -> None:
        """Half the silence timeout without data: re-send START_STREAMING once, in the
        background (a stalled sensor may not answer; the session keeps watching).  A device
        without a start command (WitMotion, Thingy:52) just waits for the full timeout."""
        if self.profile is not None and not self.profile.restartable:
            return
        log.warning("%s: no IMU data for %.1f s; re-sending START_STREAMING", self.name, silent_s)
        self._counters.watchdog_restarts += 1
        self._restart_task = asyncio.get_running_loop().create_task(
            self._restart_streaming(), name=f"sensor-link restart {self.target}"
        )

    async def _restart_streaming(self) -> None:
        try:
            client, profile, stream = self._client, self.profile, self.device_stream
            if profile is None:
                await self._expect_success(StartStreaming())
            elif client is not None and stream is not None:
                await profile.restart(client, stream)
        except _LINK_ERRORS as exc:
            log.warning("%s: watchdog START_STREAMING failed: %s", self.name, exc)

    async def _cancel_restart(self) -> None:
        task, self._restart_task = self._restart_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _watchdog_hang_up(self, silent_s: float) -> None:
        """The whole silence timeout without data: disconnect; the life cycle reconnects."""
        self._counters.watchdog_reconnects += 1
        self.last_error = f"no IMU data for {silent_s:.1f} s (watchdog): reconnecting"
        log.warning("%s: %s", self.name, self.last_error)
        await self._cancel_restart()
        await self._close_client()
        self._disconnected.set()

    async def _set_up(self, client: BleakClient) -> None:
        """PROTOCOL.md §3: features and information, subscriptions, time sync, rate, start."""
        self.features = decode_features(await client.read_gatt_char(Uuids.FEATURES))
        for key, uuid in _DEVICE_INFORMATION.items():
            with contextlib.suppress(BleakError):  # optional characteristics
                self.device_info[key] = (await client.read_gatt_char(uuid)).decode(
                    "utf-8", "replace"
                )
        with contextlib.suppress(BleakError):
            self._set_battery((await client.read_gatt_char(Uuids.BATTERY_LEVEL))[0])
        await client.start_notify(Uuids.CONTROL_POINT, self._on_control)
        await client.start_notify(Uuids.STATUS, self._on_status)
        with contextlib.suppress(BleakError):
            await client.start_notify(Uuids.BATTERY_LEVEL, self._on_battery)
        await client.start_notify(Uuids.IMU_DATA, self._on_imu)
        await self._time_sync()
        await self._expect_success(SetRate(self.config.rate_hz))
        await self._expect_success(StartStreaming())
        self._streaming = True

    async def _set_up_device(self, client: BleakClient) -> None:
        """A third-party device: its profile sets the rate, subscribes and starts it."""
        profile, stream = self.profile, self.device_stream
        assert profile is not None
        assert stream is not None
        await profile.start(client, stream, self.rate_hz, self._on_device_data)
        self._streaming = True
        try:  # a battery level is a nice-to-have: its absence or failure is not a link error
            pct = await profile.read_battery(client)
        except _LINK_ERRORS as exc:
            log.info("%s: no battery level: %s", self.name, exc)
        else:
            if pct is not None:
                self._set_battery(pct)

    async def _tear_down_device(self, client: BleakClient) -> None:
        """A third-party device: its profile stops it and unsubscribes; then disconnect."""
        profile, stream = self.profile, self.device_stream
        assert profile is not None
        assert stream is not None
        with contextlib.suppress(*_LINK_ERRORS):
            await profile.stop(client, stream)
        self._streaming = False
        await self._close_client()

    async def _expect_success(self, command: Command) -> None:
        response = await self.request(command)
        if response.result is not ResultCode.SUCCESS:
            raise LinkError(f"{self.name}: {type(command).__name__} -> {response.result.name}")

    async def _time_sync(self) -> None:
        """§7.3: the device clock read ``device_time_us`` between sending and the reply."""
        sent_s = self._clock()
        response = await self.request(TimeSync(round(sent_s * 1e6)))
        received_s = self._clock()
        if response.result is ResultCode.SUCCESS and isinstance(response.reply, TimeSyncReply):
            self.decoder.observe_device_time(response.reply.device_time_us, received_s)
            log.debug("%s: time sync, round trip %.1f ms", self.name, (received_s - sent_s) * 1e3)

    async def _tear_down(self, client: BleakClient) -> None:
        """Clean shutdown: stop the IMU data, STOP_STREAMING, unsubscribe, disconnect."""
        errors = _LINK_ERRORS
        with contextlib.suppress(*errors):
            await client.stop_notify(Uuids.IMU_DATA)
        with contextlib.suppress(*errors):
            await self.request(StopStreaming())
        self._streaming = False
        for uuid in (Uuids.STATUS, Uuids.BATTERY_LEVEL, Uuids.CONTROL_POINT):
            with contextlib.suppress(*errors):
                await client.stop_notify(uuid)
        await self._close_client()

    async def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(*_LINK_ERRORS):
                await client.disconnect()

    def _fail_pending(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(LinkError(f"{self.name}: disconnected"))
                future.exception()  # retrieved: nobody may be waiting any more
        self._pending.clear()

    # -- callbacks (run in the event loop by bleak) ---------------------------------------------

    def _on_disconnected(self, client: BleakClient) -> None:
        if self._client is not None and client is not self._client:
            return  # a late callback of a connection the link already closed
        self._disconnected.set()

    def _notify_state(self) -> None:
        if self._on_state is not None:
            try:
                self._on_state(self)
            except Exception:
                log.exception("%s: state callback failed", self.name)

    def _on_imu(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        host_s = self._clock()
        try:
            decoded = self.decoder.feed(data, host_s)
        except ProtocolError as exc:
            log.warning(
                "%s: dropped IMU packet (%s: %s): %s", self.name, exc.kind, exc, bytes(data).hex()
            )
            return
        gap = self._gap(
            decoded.restarted,
            decoded.lost_samples_before,
            host_s,
            int(decoded.device_time_us[0]),
            decoded.packet.period_us,
        )
        self._last_data_s = host_s
        self._last_data_mono_s = asyncio.get_running_loop().time()
        self._last_device_us = int(decoded.device_time_us[-1])
        if gap is not None:
            self._report_gap(gap)
        self._deliver(SampleBlock(decoded.host_time_s, decoded.acc_mps2, decoded.gyr_rads))

    def _on_device_data(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        """A third-party device's notification: its stream adapter decodes (and counts and
        drops bad frames); the link reports gaps and hands the block on."""
        stream = self.device_stream
        if stream is None:
            return
        host_s = self._clock()
        stats = stream.stats
        lost_before, dropped_before = stats.lost_samples, stats.dropped_frames
        block = stream.feed(bytes(data), host_s)
        if stats.dropped_frames > dropped_before:
            log.warning(
                "%s: dropped %d frame(s) (%s): %s",
                self.name,
                stats.dropped_frames - dropped_before,
                ", ".join(sorted(stats.errors)),
                bytes(data).hex(),
            )
        if block is None or len(block) == 0:
            return
        lost = stats.lost_samples - lost_before
        last_s = self._last_data_s
        reconnected = self._disconnected_at_s is not None
        self._disconnected_at_s = None
        self._last_data_s = float(block.timestamp_s[-1])
        self._last_data_mono_s = asyncio.get_running_loop().time()
        if last_s is not None and (reconnected or lost > 0):
            duration_s = float(block.timestamp_s[0]) - last_s
            if lost <= 0:  # no device clock: estimate from host time at the configured rate
                lost = max(0, round(duration_s * self.rate_hz) - 1)
            self._report_gap(LinkGap(lost, duration_s, reconnected))
        self._deliver(block)

    def _deliver(self, block: SampleBlock) -> None:
        """Hand a block to the consumer; a failing consumer is logged, never fatal."""
        if self._on_samples is not None:
            try:
                self._on_samples(self, block)
            except Exception:
                log.exception("%s: sample consumer failed", self.name)

    def _report_gap(self, gap: LinkGap) -> None:
        self._counters.gaps += 1
        log.warning(
            "%s: gap of %.2f s, %d samples lost%s",
            self.name,
            gap.duration_s,
            gap.lost_samples,
            " (reconnected)" if gap.reconnected else "",
        )
        self._call(self._on_gap, gap)

    def _gap(
        self, restarted: bool, lost: int, host_s: float, first_device_us: int, period_us: int | None
    ) -> LinkGap | None:
        last_s, last_us = self._last_data_s, self._last_device_us
        if last_s is None or last_us is None:
            return None
        if restarted:  # a new START_STREAMING: count the samples the device clock passed
            period = period_us or RATE_HZ_TO_PERIOD_US[self.config.rate_hz]
            lost = max(0, round((first_device_us - last_us) / period) - 1)
            reconnected = self._disconnected_at_s is not None
            self._disconnected_at_s = None
            return LinkGap(lost, host_s - last_s, reconnected)
        if lost > 0:
            return LinkGap(lost, host_s - last_s, False)
        return None

    def _call(self, callback: Callable[[SensorLink, LinkGap], None] | None, gap: LinkGap) -> None:
        if callback is None:
            return
        try:
            callback(self, gap)
        except Exception:
            log.exception("%s: gap callback failed", self.name)

    def _on_status(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        host_s = self._clock()
        try:
            status = decode_status(data)
        except ProtocolError as exc:
            log.warning("%s: dropped STATUS (%s): %s", self.name, exc.kind, bytes(data).hex())
            self._counters.control_errors[f"status_{exc.kind}"] += 1
            return
        self.decoder.observe_device_time(status.device_time_us, host_s)
        if status.battery_pct <= 100:
            self._set_battery(status.battery_pct)
        if status.error_flags:
            log.warning("%s: sensor reports %r", self.name, status.error_flags)

    def _on_battery(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        if len(data) == 1:
            self._set_battery(data[0])

    def _set_battery(self, pct: int) -> None:
        if 0 <= pct <= 100:
            self.battery_pct = pct

    def _on_control(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        try:
            response = decode_control_response(data)
        except ProtocolError as exc:
            log.warning(
                "%s: dropped control response (%s): %s", self.name, exc.kind, bytes(data).hex()
            )
            self._counters.control_errors[exc.kind] += 1
            return
        future = self._pending.get(response.token)
        if future is None or future.done():
            log.info("%s: unexpected control response %s", self.name, response)
            return
        future.set_result(response)
