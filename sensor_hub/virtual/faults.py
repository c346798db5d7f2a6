"""Link faults the virtual sensor can inject into its IMU notifications, for tests.

:class:`LinkFaults` is pure: a list of packets in, the packets "on the air" out.  Probabilities
apply to every packet (seeded, reproducible); the ``*_next`` counters hit the next packets
deterministically.  ``silent`` drops everything (the sensor keeps counting sequence numbers,
so the hub sees the gap when it ends).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["LinkFaults"]


@dataclass
class LinkFaults:
    """Fault settings and counters; mutate freely between packets.

    Attributes:
        drop_probability, corrupt_probability, duplicate_probability, reorder_probability:
            chance per packet of each fault (reorder: the packet is held back and sent after
            the next one).
        drop_next, corrupt_next, duplicate_next, reorder_next: apply the fault to this many
            upcoming packets (one scheduled fault per packet: drop, corrupt, reorder,
            duplicate, in this order of precedence).
        silent: send nothing at all (IMU data, status, control responses).
        seed: of the random draws.
    """

    drop_probability: float = 0.0
    corrupt_probability: float = 0.0
    duplicate_probability: float = 0.0
    reorder_probability: float = 0.0
    drop_next: int = 0
    corrupt_next: int = 0
    duplicate_next: int = 0
    reorder_next: int = 0
    silent: bool = False
    seed: int = 0
    #: Counts of what was done, by fault name.
    applied: dict[str, int] = field(default_factory=dict)
    _rng: np.random.Generator | None = field(default=None, repr=False)
    _held: bytes | None = field(default=None, repr=False)

    def _hit(self, counter: str, probability: float, *, scheduled: bool = True) -> bool:
        left: int = getattr(self, counter)
        if scheduled and left > 0:
            setattr(self, counter, left - 1)
            return True
        if probability <= 0.0:
            return False
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        return bool(self._rng.random() < probability)

    def _count(self, name: str) -> None:
        self.applied[name] = self.applied.get(name, 0) + 1

    def apply(self, packets: list[bytes]) -> list[bytes]:
        """The packets that reach the air, in order."""
        out: list[bytes] = []
        for packet in packets:
            if self.silent:
                self._count("silent")
                continue
            if self._hit("drop_next", self.drop_probability):
                self._count("drop")
                continue
            # Scheduled (``*_next``) faults: at most one per packet, in this order.
            free = True
            sent = packet
            if self._hit("corrupt_next", self.corrupt_probability):
                self._count("corrupt")
                free = False
                sent = _flip_bit(packet, self._bit(len(packet)))
            if self._held is None and self._hit(
                "reorder_next", self.reorder_probability, scheduled=free
            ):
                self._count("reorder")
                self._held = sent
                continue
            out.append(sent)
            if self._hit("duplicate_next", self.duplicate_probability, scheduled=free):
                self._count("duplicate")
                out.append(sent)
            if self._held is not None:
                out.append(self._held)
                self._held = None
        return out

    def _bit(self, length: int) -> int:
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        # Never the frame byte: a corrupted packet must still look like IMU data, so the
        # hub's CRC check (not its type check) is what catches it.
        return int(self._rng.integers(8, length * 8))


def _flip_bit(packet: bytes, bit: int) -> bytes:
    data = bytearray(packet)
    data[bit // 8] ^= 1 << (bit % 8)
    return bytes(data)
