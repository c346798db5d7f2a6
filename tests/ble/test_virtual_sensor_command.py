"""``posture-hub virtual-sensor`` (argument handling) and the sensor's HCI path.

No USB dongle here: the HCI path is exercised with a Bumble virtual controller standing in for
one (the same HCI packets a dongle would get), and the command's errors are checked.
"""

from __future__ import annotations

import pytest
from bleak import BleakScanner
from bumble.controller import Controller
from bumble.transport.common import AsyncPipeSink

from firmware_protocol import Uuids
from sensor_hub.ble import BumbleScanner, VirtualAir
from sensor_hub.cli import main
from sensor_hub.virtual import VirtualSensor

from .conftest import FAST_ADVERTISING, run, wearer_block


def test_command_rejects_a_bad_transport_and_a_bad_scenario(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["virtual-sensor", "--transport", "nonsense:1", "--scenario", "dips"]) == 2
    assert "cannot open transport 'nonsense:1'" in capsys.readouterr().err
    assert main(["virtual-sensor", "--transport", "usb:0", "--scenario", "nope"]) == 2
    assert "unknown scenario 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["virtual-sensor", "--transport", "usb:0"])  # no source


def test_sensor_over_hci_advertises_name_in_scan_response() -> None:
    async def body() -> None:
        async with VirtualAir() as air:
            controller = Controller("dongle", link=air.link, public_address="F0:4F:50:53:AB:CD")
            sensor = VirtualSensor(
                wearer_block(), address="F0:4F:50:53:AB:CD", advertising=FAST_ADVERTISING
            )
            await sensor.start_on_hci(controller, AsyncPipeSink(controller))
            try:
                found = await BleakScanner.discover(
                    timeout=0.2,
                    return_adv=True,
                    service_uuids=[Uuids.POSTURE_SERVICE],
                    backend=BumbleScanner,
                    air=air,  # type: ignore[call-arg]
                )
                _, adv = found["F0:4F:50:53:AB:CD"]
                assert Uuids.POSTURE_SERVICE in adv.service_uuids
                # Legacy advertising data is 31 bytes: the name goes in the scan response,
                # which Bumble's virtual controller does not deliver.
                assert adv.local_name is None
                assert sensor.name == "OPS-ABCD"
            finally:
                await sensor.stop()
                air.link.remove_controller(controller)

    run(body)
