"""Virtual twins of the third-party IMUs the hub accepts (docs/devices.md): Bumble GATT
peripherals that advertise and stream like a WitMotion WT901BLE, a Movella DOT and a Nordic
Thingy:52.

Each twin replays a :class:`~sensor_hub.samples.SampleBlock` (taken as the device frame: pass
the adapter ``axes="+x,+y,+z"`` to get it back unchanged) at the device's output rate, at real
pace (``speed=1``) or faster.  Device sample *k* is the source sample at or just before source
time ``k / rate`` (no interpolation), and :attr:`ThirdPartyTwin.sent_indices` records which
source sample each notification carried, so a test can compare what it decodes with the source.

The frames are packed here with :mod:`struct` from the protocol facts in docs/devices.md, not
with the decoders' code (as ``scripts/make_device_vectors.py`` does): the twins cross-check the
adapters of :mod:`sensor_hub.devices` rather than echo them.  The advertised names and service
UUIDs, and the GATT UUIDs, are the adapters' tables (they are what the hub looks for).

Commands honoured: WitMotion rate writes (``FF AA 03 <code> 00``, unlock/save accepted) and
register reads (``FF AA 27 <reg> 00``, answered with a ``0x71`` frame: rate, quaternion,
temperature); DOT start/stop (``01 01|00 <mode>`` on the measurement control) in every payload
mode and the output rate by device-control write-back; Thingy:52 motion rate by configuration
write-back.  Not modelled: Thingy quaternion/Euler/gravity characteristics, DOT battery
notifications, connection parameters.
"""

from sensor_hub.virtual.thirdparty.base import ThirdPartyTwin
from sensor_hub.virtual.thirdparty.dot import DotTwin
from sensor_hub.virtual.thirdparty.thingy import ThingyTwin
from sensor_hub.virtual.thirdparty.witmotion import WitMotionTwin

__all__ = ["DotTwin", "ThingyTwin", "ThirdPartyTwin", "WitMotionTwin"]
