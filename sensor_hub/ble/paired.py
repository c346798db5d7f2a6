"""Remembered sensors: a small JSON file of the sensors this hub pairs with.

``$POSTURE_HUB_CONFIG_DIR/sensors.json`` (default ``~/.config/posture-hub/sensors.json``)::

    {"format": "posture-hub-sensors/1",
     "sensors": [{"address": "F0:4F:50:53:00:01", "name": "OPS-0001", "kind": "ops",
                  "role": "lumbar"}]}

Written atomically (a temporary file in the same directory, then a rename), so a crash never
leaves half a file.  A file that cannot be read raises one :class:`PairedConfigError` naming it.
No bleak here: plain data.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from sensor_hub.processing import Role

__all__ = ["FORMAT", "PairedConfigError", "PairedSensor", "PairedStore", "config_dir"]

FORMAT: Final = "posture-hub-sensors/1"
#: Environment variable naming the configuration directory.
CONFIG_DIR_ENV: Final = "POSTURE_HUB_CONFIG_DIR"
_FILE_NAME: Final = "sensors.json"


class PairedConfigError(Exception):
    """The remembered-sensors file is unreadable; the message names the file."""


@dataclass(frozen=True, slots=True)
class PairedSensor:
    """A sensor the hub remembers: its address, advertised name, kind and where it is worn."""

    address: str
    name: str
    kind: str = "ops"
    role: Role = Role.LUMBAR


def config_dir() -> Path:
    """``$POSTURE_HUB_CONFIG_DIR``, else ``~/.config/posture-hub``."""
    configured = os.environ.get(CONFIG_DIR_ENV)
    return Path(configured) if configured else Path.home() / ".config" / "posture-hub"


class PairedStore:
    """Load, remember and forget sensors in ``path`` (default: ``config_dir()/sensors.json``)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else config_dir() / _FILE_NAME

    def load(self) -> list[PairedSensor]:
        """The remembered sensors (none when the file does not exist)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise PairedConfigError(f"{self.path}: cannot read: {exc.strerror}") from exc
        try:
            document = json.loads(text)
            if not isinstance(document, dict) or document.get("format") != FORMAT:
                raise ValueError(f'expected a JSON object with "format": "{FORMAT}"')
            entries = document.get("sensors")
            if not isinstance(entries, list):
                raise ValueError('"sensors" must be a list')
            return [_sensor(entry) for entry in entries]
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            raise PairedConfigError(f"{self.path}: not a remembered-sensors file: {exc}") from exc

    def save(self, sensors: Sequence[PairedSensor]) -> None:
        """Replace the file's content, atomically."""
        document = {
            "format": FORMAT,
            "sensors": [{**asdict(s), "role": str(s.role)} for s in sensors],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".sensors-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(document, f, indent=2)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            Path(tmp).replace(self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def remember(self, sensor: PairedSensor) -> None:
        """Add ``sensor``, replacing any entry with its address or its role."""
        kept = [
            s
            for s in self.load()
            if s.address.upper() != sensor.address.upper() and s.role is not sensor.role
        ]
        self.save([*kept, sensor])

    def forget(self, address: str) -> bool:
        """Drop the sensor with ``address``; whether it was remembered."""
        sensors = self.load()
        kept = [s for s in sensors if s.address.upper() != address.upper()]
        if len(kept) != len(sensors):
            self.save(kept)
        return len(kept) != len(sensors)


def _sensor(entry: object) -> PairedSensor:
    if not isinstance(entry, dict):
        raise ValueError(f"a sensor entry must be an object, got {entry!r}")
    try:
        address, name = entry["address"], entry["name"]
        kind, role = entry.get("kind", "ops"), Role(entry.get("role", "lumbar"))
    except KeyError as exc:
        raise ValueError(f"a sensor entry lacks {exc}") from None
    if not all(isinstance(v, str) and v for v in (address, name, kind)):
        raise ValueError(f"address, name and kind must be non-empty strings in {entry!r}")
    return PairedSensor(address, name, kind, role)
