"""The mosquitto fixture really runs a broker that delivers messages."""

from __future__ import annotations

import threading
import time

import paho.mqtt.client as mqtt

from tests.servers.mosquitto import Mosquitto


def test_publish_subscribe_round_trip(mosquitto: Mosquitto) -> None:
    got = threading.Event()
    received: list[bytes] = []

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        received.append(msg.payload)
        got.set()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_message = on_message
    client.connect(mosquitto.host, mosquitto.port)
    client.loop_start()
    try:
        client.subscribe("t/x", qos=1)
        time.sleep(0.2)
        client.publish("t/x", b"hello", qos=1).wait_for_publish(5)
        assert got.wait(5)
        assert received == [b"hello"]
    finally:
        client.loop_stop()
        client.disconnect()
