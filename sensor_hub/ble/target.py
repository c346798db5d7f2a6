"""What a sensor link is given and reports: target, transport, configuration, gaps, status.

Plain data (no connection logic), shared by :mod:`sensor_hub.ble.link`, the hub, the CLI and
the MQTT layer; the reconnection backoff is a pure function of the number of failures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner

from firmware_protocol import Uuids
from firmware_protocol.constants import ADVERTISED_NAME_PREFIX, RATE_HZ_TO_PERIOD_US
from sensor_hub.ble.profiles import PROFILES, DeviceProfile

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
    "SensorTarget",
    "reconnect_delay_s",
]

# -- reconnection backoff -----------------------------------------------------------------------

#: First retry after this long: most drops are a moment of interference or a body blocking
#: the antenna, and the sensor advertises every 100 ms for 30 s after a disconnection (§2).
RECONNECT_BACKOFF_MIN_S: Final = 0.25
#: Each further failure waits this much longer: a sensor that stays away is out of range or
#: flat, and scanning for it costs the adapter airtime the other sensors need.
RECONNECT_BACKOFF_FACTOR: Final = 2.0
#: Never wait longer than this: a wearer coming back into range should see data again within
#: a few seconds of the sensor's slow (1 s) advertising, not after minutes.
RECONNECT_BACKOFF_MAX_S: Final = 8.0

#: A sensor that stays connected but sends no IMU data for this long is hung up on and
#: reconnected (after one START_STREAMING re-sent at half of it).  At 100 Hz a sensor sends
#: ~9 notifications/s and a STATUS every few seconds, so 10 s of nothing is not interference
#: but a stalled firmware or a stuck connection: a fresh connection is the only cure left, and
#: waiting longer than this would leave the wearer unmonitored for longer than a lean takes
#: to become an alert.
SILENCE_TIMEOUT_S: Final = 10.0


def reconnect_delay_s(failures: int) -> float:
    """Seconds to wait before the next attempt after ``failures`` consecutive failures.

    0 failures (the link just dropped) retries at once; then exponential from
    :data:`RECONNECT_BACKOFF_MIN_S`, capped at :data:`RECONNECT_BACKOFF_MAX_S`.
    """
    if failures <= 0:
        return 0.0
    delay = RECONNECT_BACKOFF_MIN_S * RECONNECT_BACKOFF_FACTOR ** min(failures - 1, 32)
    return min(delay, RECONNECT_BACKOFF_MAX_S)


class LinkError(Exception):
    """A sensor link operation that cannot be done (not connected, no answer, refused)."""


@dataclass(frozen=True, slots=True)
class BleTransport:
    """Which bleak backends to use: ``None`` is bleak's default for the platform (BlueZ on
    Linux).  Tests and ``--virtual`` pass Bumble classes bound to a virtual air."""

    scanner_backend: type[BaseBleakScanner] | None = None
    client_backend: type[BaseBleakClient] | None = None


@dataclass(frozen=True, slots=True)
class SensorTarget:
    """Which sensor to connect to: by address, by advertised name, or (neither) the first
    device advertising our Posture Service (or, with ``kind``, the first of that kind).

    ``kind`` (a key of :data:`sensor_hub.ble.discovery.KINDS`; ``None`` or ``"ops"``: our
    sensor) selects a third-party device's profile (:mod:`sensor_hub.ble.profiles`), ``axes``
    its device-to-body axis mapping (default: the device's recommended lower-back mapping).
    """

    address: str | None = None
    name: str | None = None
    kind: str | None = None
    axes: str | None = None

    @property
    def profile(self) -> DeviceProfile | None:
        """The third-party device profile, or ``None`` for our own protocol."""
        if self.kind is None or self.kind == "ops":
            return None
        try:
            return PROFILES[self.kind]
        except KeyError:
            kinds = ", ".join(["ops", *PROFILES])
            raise ValueError(f"unknown device kind {self.kind!r} (one of {kinds})") from None

    @classmethod
    def parse(cls, text: str) -> SensorTarget:
        """``F0:4F:50:53:00:01`` (an address: six hex pairs) or a name such as ``OPS-0001``."""
        parts = text.split(":")
        if len(parts) == 6 and all(len(p) == 2 for p in parts):
            try:
                [int(p, 16) for p in parts]
            except ValueError:
                return cls(name=text)
            return cls(address=text.upper())
        return cls(name=text)

    def matches(self, device: BLEDevice, adv: AdvertisementData) -> bool:
        """Whether an advertisement comes from this target."""
        if self.address is not None:
            return device.address.upper() == self.address.upper()
        name = adv.local_name or device.name
        if self.name is not None:
            return name == self.name
        profile = self.profile
        if profile is not None:
            uuids = {u.lower() for u in adv.service_uuids}
            return bool(uuids & set(profile.service_uuids)) or bool(
                name and name.startswith(profile.name_prefixes)
            )
        return Uuids.POSTURE_SERVICE in adv.service_uuids or bool(
            name and name.startswith(ADVERTISED_NAME_PREFIX)
        )

    def __str__(self) -> str:
        return self.address or self.name or "any posture sensor"


@dataclass(frozen=True, slots=True)
class LinkConfig:
    """How a link talks to its sensor.

    Attributes:
        rate_hz: output rate requested with SET_RATE (25, 50, 100 or 200).
        scan_timeout_s: one scan for the sensor gives up after this (then backoff, retry).
        time_sync_interval_s: TIME_SYNC (§7.3) on connection and this often while connected.
        command_timeout_s: a control point request without a response after this fails.
        silence_timeout_s: connected but no IMU data for this long: disconnect and reconnect
            (START_STREAMING is re-sent once after half of it); see :data:`SILENCE_TIMEOUT_S`.
    """

    rate_hz: int = 100
    scan_timeout_s: float = 10.0
    time_sync_interval_s: float = 60.0
    command_timeout_s: float = 5.0
    silence_timeout_s: float = SILENCE_TIMEOUT_S

    def __post_init__(self) -> None:
        if not self.silence_timeout_s > 0:
            raise ValueError(f"silence_timeout_s must be positive, got {self.silence_timeout_s}")
        if self.rate_hz not in RATE_HZ_TO_PERIOD_US:
            rates = ", ".join(str(r) for r in RATE_HZ_TO_PERIOD_US)
            raise ValueError(f"rate_hz must be one of {rates}, got {self.rate_hz}")


@dataclass(frozen=True, slots=True)
class LinkGap:
    """Data that did not arrive: reported when data flows again.

    Attributes:
        lost_samples: samples the sensor took that the hub never received.
        duration_s: host seconds between the last notification before the gap and the first
            after it.
        reconnected: the gap spans a reconnection (else the link stayed up: drops, silence).
    """

    lost_samples: int
    duration_s: float
    reconnected: bool


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """A snapshot of a link, for status lines and the MQTT layer."""

    target: str
    name: str | None
    address: str | None
    connected: bool
    streaming: bool
    battery_pct: int | None
    rate_hz: int
    mtu: int | None
    samples: int
    lost_samples: int
    lost_packets: int
    rejected: dict[str, int]
    connections: int
    gaps: int
    watchdog_restarts: int
    watchdog_reconnects: int
    data_age_s: float | None
    last_error: str | None
    device_info: dict[str, str]
