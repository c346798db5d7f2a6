"""One hub's MQTT side for a command's lifetime: broker (embedded if none is configured), client
with its outbox, and the bridge — started in order and stopped in reverse.

Used by ``posture-hub run`` (and the demo): with a broker URL in the settings the hub publishes
there; without one it starts the embedded amqtt broker on 127.0.0.1 (1883, or a free port when
that is taken — many users already run mosquitto there) and says where, so that
``posture-hub record --broker URL`` or ``mosquitto_sub`` can listen.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sensor_hub.alerts import Action, AlertPolicy, StateError, state_from_json, state_to_json
from sensor_hub.ble.hub import SensorHub
from sensor_hub.mqtt.broker import EmbeddedBroker
from sensor_hub.mqtt.client import Availability, MqttClient
from sensor_hub.mqtt.config import MqttConfig, MqttProtocol
from sensor_hub.mqtt.topics import Topics
from sensor_hub.service.alerting import AlertService
from sensor_hub.service.bridge import BridgeConfig, HubBridge
from sensor_hub.service.desktop import desktop_notifier
from sensor_hub.settings import Settings

__all__ = ["hub_on_mqtt"]

log = logging.getLogger(__name__)

#: How long the start waits for the first connection before going on (the client keeps trying).
_CONNECT_WAIT_S = 10.0


@asynccontextmanager
async def hub_on_mqtt(
    hub: SensorHub,
    settings: Settings,
    *,
    bridge_config: BridgeConfig | None = None,
    alerts: bool = True,
    desktop: bool = False,
    announce: Callable[[str], None] = log.info,
) -> AsyncIterator[HubBridge]:
    """Publish ``hub``'s outputs on MQTT until the block ends (enter it before or after the
    hub starts; before is better: nothing the hub emits is missed).

    With ``alerts`` the alert policy (``settings.alerts``) decides buzzes and prompts (build the
    hub with ``alert_haptic=None``); its state is kept in ``data_dir/alerts-{wearer}.json``
    between runs (snoozes, cooldowns, progression, baseline).  With ``desktop`` alerts and
    prompts also pop up on the desktop (``notify-send``, when installed).
    """
    broker: EmbeddedBroker | None = None
    config = settings.mqtt or MqttConfig()
    if config.url is None:
        broker = EmbeddedBroker()
        url = await broker.start()
        announce(f"embedded MQTT broker (3.1.1) listening on {url}")
        config = replace(config, url=url, protocol=MqttProtocol.V311)
    if config.client_id == MqttConfig().client_id:
        config = replace(config, client_id=f"posture-hub-{settings.wearer}")
    if config.outbox_path is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        config = replace(config, outbox_path=settings.data_dir / f"outbox-{settings.wearer}.sqlite")
    topics = Topics(settings.wearer, settings.prefix)
    client = MqttClient(config, availability=Availability(topics.availability))
    state_path = settings.data_dir / f"alerts-{settings.wearer}.json"
    service = AlertService(hub, _policy(settings, state_path)) if alerts else None
    bridge = HubBridge(hub, client, topics, bridge_config, alerts=service)
    if service is not None:
        service.on_prompt = bridge.publish_prompt
        notifier = desktop_notifier() if desktop else None
        if notifier is None:
            service.on_record = bridge.publish_decision
        else:
            show = notifier

            def record(action: Action) -> None:
                bridge.publish_decision(action)
                show(action)

            service.on_record = record
    try:
        client.start()
        if await asyncio.to_thread(client.wait_connected, _CONNECT_WAIT_S):
            announce(f"publishing {topics.base}/# to {config.host}:{config.port}")
        else:
            announce(
                f"broker {config.host}:{config.port} not reachable yet: queueing in the outbox"
            )
        bridge.start()
        if service is not None:
            service.start()
        yield bridge
    finally:
        if service is not None:
            await service.stop()
            _save(service.policy, state_path)
        await bridge.stop()
        await asyncio.to_thread(client.stop)
        if broker is not None:
            await broker.stop()


def _policy(settings: Settings, state_path: Path) -> AlertPolicy:
    """The policy with the wearer's local time zone and the state left by the last run."""
    tz = datetime.now().astimezone().tzinfo or UTC
    state = None
    if state_path.exists():
        try:
            state = state_from_json(json.loads(state_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, StateError) as exc:
            log.warning("%s: cannot restore the alert state (%s); starting afresh", state_path, exc)
    return AlertPolicy(settings.alerts, tz=tz, state=state)


def _save(policy: AlertPolicy, path: Path) -> None:
    """Write the policy's state atomically (a temporary file, then a rename)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state_to_json(policy.get_state())), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        log.warning("%s: cannot save the alert state: %s", path, exc)
