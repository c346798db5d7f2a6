"""The hub on MQTT: its outputs published, commands carried out and answered.

:class:`HubBridge` joins a running :class:`~sensor_hub.ble.hub.SensorHub` to a publisher (the
paho adapter, :class:`~sensor_hub.mqtt.client.MqttClient`).  It knows both stages, so it builds
nothing itself: messages come from :mod:`sensor_hub.mqtt.sampling`, bytes from
:mod:`sensor_hub.mqtt.payloads`, topics and their QoS/retain from :mod:`sensor_hub.mqtt.topics`.

- **Telemetry**: every processed block, decimated to ``telemetry_rate_hz`` (5 Hz), QoS 0.
- **State** (retained): when the posture state, calibration, activity or connection changes,
  and every ``state_interval_s`` anyway (data age and battery move on their own).
- **Raw** (optional, ``raw=True``): every decoded sample block, binary
  (:mod:`sensor_hub.mqtt.raw`), QoS 0.
- **Events**: every episode event (started, alerted, ended), QoS 1; with an alert policy also
  its prompts and decisions (:meth:`HubBridge.publish_decision`: ``alert``,
  ``alert_suppressed``, ``prompt_answered``, ``feedback``), which the recorder stores.
- **Availability** and **Home Assistant discovery**: the adapter owns availability (``online``
  after each connect, ``offline`` as last will and on a clean stop); the bridge publishes the
  discovery configs (retained) when it starts.
- **Commands** on the wearer's command topic: each is authorised and validated
  (:func:`sensor_hub.mqtt.commands.decode_command`), carried out, and answered on the MQTT 5
  response topic or the wearer's reply topic.  A bad command changes nothing and gets an error
  reply naming what was wrong; the bridge never raises on input.  ``set_alerts`` changes the
  running policy's settings (not the settings file: a restart goes back to those).

Everything runs on the hub's event loop: command messages arrive on paho's thread and are
handed to the loop (:func:`~sensor_hub.mqtt.client.call_in_loop`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from sensor_hub.alerts import Action, AlertConfig, AlertConfigError, Prompt, UnknownPromptError
from sensor_hub.ble.hub import EpisodeUpdate, HubOutput, LinkUpdate, PostureUpdate, SensorHub
from sensor_hub.mqtt.alert_messages import decision_message
from sensor_hub.mqtt.client import InboundMessage, MessageHandler, call_in_loop
from sensor_hub.mqtt.commands import (
    Calibrate,
    Command,
    CommandError,
    ErrorCode,
    Pause,
    PromptAck,
    Resume,
    SetAlerts,
    SetThresholds,
    Snooze,
    decode_command,
    error_reply,
    ok_reply,
    reply_topic,
)
from sensor_hub.mqtt.discovery import DEFAULT_DISCOVERY_PREFIX, discovery_messages
from sensor_hub.mqtt.messages import JsonScalar, Message, SensorState
from sensor_hub.mqtt.payloads import encode
from sensor_hub.mqtt.raw import encode_raw
from sensor_hub.mqtt.sampling import (
    DEFAULT_TELEMETRY_HZ,
    DecimatorState,
    episode_message,
    sensor_state,
    telemetry_samples,
)
from sensor_hub.mqtt.topics import TOPIC_POLICY, TopicKind, Topics
from sensor_hub.processing import Role
from sensor_hub.service.alerting import AlertService

__all__ = ["BridgeConfig", "HubBridge", "Publisher"]

log = logging.getLogger(__name__)

Result = dict[str, JsonScalar]

#: Seconds of still posture a ``calibrate`` command takes as neutral when it names none.
DEFAULT_CALIBRATION_WINDOW_S = 5.0


def _numeric_settings() -> frozenset[str]:
    hints = typing.get_type_hints(AlertConfig)
    return frozenset(
        name
        for name, hint in hints.items()
        if hint in (int, float) or {int, float} & set(typing.get_args(hint))
    )


#: Alert settings that take a number: a number refused for them is out of range, not mistyped.
_NUMERIC_SETTINGS: Final = _numeric_settings()


def _alert_error_code(field: str, settings: Mapping[str, JsonScalar]) -> ErrorCode:
    """``bad_type`` for a value of the wrong kind, ``out_of_range`` for a number (or a numeric
    string) outside its range or in conflict with another setting."""
    if field not in settings:
        return ErrorCode.OUT_OF_RANGE  # the change conflicts with a setting left as it was
    value = settings[field]
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return ErrorCode.BAD_TYPE
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return ErrorCode.OUT_OF_RANGE if numeric and field in _NUMERIC_SETTINGS else ErrorCode.BAD_TYPE


class Publisher(Protocol):
    """What the bridge needs of an MQTT client (:class:`~sensor_hub.mqtt.client.MqttClient`)."""

    def publish(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False) -> None: ...

    def reply(
        self, request: InboundMessage, payload: bytes, *, reply_topic: str, qos: int = 1
    ) -> None: ...

    def subscribe(self, topic_filter: str, qos: int, handler: MessageHandler) -> None: ...


@dataclass(frozen=True, slots=True)
class BridgeConfig:
    """What the bridge publishes, and how often."""

    telemetry_rate_hz: float = DEFAULT_TELEMETRY_HZ
    state_interval_s: float = 10.0
    #: Home Assistant discovery prefix; ``None``: no discovery.
    discovery_prefix: str | None = DEFAULT_DISCOVERY_PREFIX
    #: Also publish every decoded sample block on the raw topic (:mod:`sensor_hub.mqtt.raw`).
    raw: bool = False

    def __post_init__(self) -> None:
        if not 0.0 < self.telemetry_rate_hz <= 100.0:
            raise ValueError(f"telemetry_rate_hz must be in (0, 100], got {self.telemetry_rate_hz}")
        if not self.state_interval_s > 0.0:
            raise ValueError(f"state_interval_s must be positive, got {self.state_interval_s}")


def _state_key(state: SensorState) -> tuple[object, ...]:
    """What makes a state worth publishing at once when it changes."""
    return (
        state.posture,
        state.connected,
        state.activity,
        state.band,
        state.calibration,
        state.stance,
        state.forward_axis,  # not the yaw: it drifts a little with every bend learned
    )


class HubBridge:
    """Publish a hub's outputs and answer its commands (see the module docstring).

    Args:
        hub: the running hub (its event loop is the bridge's).
        client: the MQTT publisher.
        topics: the wearer's topics.
        config: rates and discovery.
        clock: Unix time in seconds (message ``ts`` and pause ends).
    """

    def __init__(
        self,
        hub: SensorHub,
        client: Publisher,
        topics: Topics,
        config: BridgeConfig | None = None,
        *,
        alerts: AlertService | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.hub = hub
        self.client = client
        self.topics = topics
        self.config = config or BridgeConfig()
        self.alerts = alerts
        self._clock = clock
        self._decimators: dict[Role, DecimatorState] = {
            role: DecimatorState() for role in hub.links
        }
        self._last_state: dict[Role, tuple[object, ...]] = {}
        self._last_state_s: dict[Role, float] = {}
        self._remove_listener: Callable[[], None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self.published = 0
        self.commands_ok = 0
        self.commands_refused = 0

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Publish discovery, listen to the hub, subscribe to commands (call on the loop)."""
        loop = asyncio.get_running_loop()
        if self.config.discovery_prefix is not None:
            sensors = sorted(self.hub.links, key=lambda role: role.value)
            for message in discovery_messages(
                self.topics, sensors, discovery_prefix=self.config.discovery_prefix
            ):
                self._send(TopicKind.DISCOVERY, message.topic, message.payload)
        self._remove_listener = self.hub.add_listener(self._on_output)
        policy = TOPIC_POLICY[TopicKind.COMMAND]
        self.client.subscribe(self.topics.command, policy.qos, call_in_loop(loop, self._on_command))
        self._ticker = loop.create_task(self._tick())

    async def stop(self) -> None:
        """Stop listening (the adapter publishes ``offline`` when it stops)."""
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
            self._ticker = None

    # -- outputs --------------------------------------------------------------------------------

    def _send(self, kind: TopicKind, topic: str, payload: bytes) -> None:
        policy = TOPIC_POLICY[kind]
        self.client.publish(topic, payload, policy.qos, policy.retain)
        self.published += 1

    def _publish(self, kind: TopicKind, message: Message, sensor: Role | None = None) -> None:
        self._send(kind, self.topics.topic(kind, sensor), encode(message))

    def _on_output(self, output: HubOutput) -> None:
        try:
            if isinstance(output, PostureUpdate):
                self._on_posture(output)
            elif isinstance(output, EpisodeUpdate):
                message = episode_message(self.topics.wearer, output.role, output.event)
                self._publish(TopicKind.EVENTS, message)
                self._publish_state(output.role, force=True)
            elif isinstance(output, LinkUpdate):
                self._publish_state(output.role, force=True)
        except Exception:  # one boundary: a message that cannot be built is logged, not fatal
            log.exception("could not publish %s", type(output).__name__)

    def _on_posture(self, update: PostureUpdate) -> None:
        role = update.role
        messages, self._decimators[role] = telemetry_samples(
            self.topics.wearer,
            role,
            update.block,
            self._decimators[role],
            rate_hz=self.config.telemetry_rate_hz,
            relative_flexion_deg=update.relative_flexion_deg,
        )
        for message in messages:
            self._publish(TopicKind.TELEMETRY, message, role)
        if self.config.raw and update.samples is not None and len(update.samples):
            self._send(TopicKind.RAW, self.topics.raw(role), encode_raw(update.samples))
        self._publish_state(role)

    def _publish_state(self, role: Role, *, force: bool = False) -> None:
        now = self._clock()
        latest = self.hub.latest.get(role)
        state = sensor_state(
            self.topics.wearer,
            role,
            ts_s=now,
            block=None if latest is None else latest.block,
            link=self.hub.links[role].status(),
            last_event=self.hub.last_event.get(role),
            paused_until_s=self._paused_until_s(),
        )
        key = _state_key(state)
        due = now - self._last_state_s.get(role, -float("inf")) >= self.config.state_interval_s
        if not (force or due or key != self._last_state.get(role)):
            return
        self._last_state[role] = key
        self._last_state_s[role] = now
        self._publish(TopicKind.STATE, state, role)

    def _paused_until_s(self) -> float | None:
        if self.alerts is not None:
            hold = self.alerts.policy.hold
            return None if hold is None else hold[1]
        return self.hub.paused_until_s if self.hub.paused else None

    def publish_prompt(self, prompt: Prompt) -> None:
        """A corrective-move prompt of the alert policy, as an event (QoS 1)."""
        try:
            self._publish(TopicKind.EVENTS, prompt.to_message(self.topics.wearer))
        except Exception:  # one boundary: as for every output
            log.exception("could not publish prompt %s", prompt.prompt_id)

    def publish_decision(self, action: Action) -> None:
        """A decision of the alert policy as an event (QoS 1): ``alert``,
        ``alert_suppressed``, ``prompt_answered``, ``feedback`` (see
        :mod:`sensor_hub.mqtt.alert_messages`).  Prompts are left to :meth:`publish_prompt`
        (the service's ``on_prompt``); records that are not events (corrections, holds) are
        skipped."""
        if isinstance(action, Prompt):
            return
        try:
            message = decision_message(self.topics.wearer, action)
            if message is not None:
                self._publish(TopicKind.EVENTS, message)
        except Exception:  # one boundary: as for every output
            log.exception("could not publish the decision %s", type(action).__name__)

    async def _tick(self) -> None:
        """State every ``state_interval_s`` even when no data comes (a silent sensor)."""
        while True:
            await asyncio.sleep(self.config.state_interval_s)
            for role in self.hub.links:
                try:
                    self._publish_state(role)
                except Exception:
                    log.exception("could not publish the state of %s", role)

    # -- commands -------------------------------------------------------------------------------

    def _on_command(self, request: InboundMessage) -> None:
        now = self._clock()
        wearer = self.topics.wearer
        try:
            command = decode_command(request.topic, request.payload, self.topics)
            result = self._carry_out(command, now)
        except CommandError as exc:
            self.commands_refused += 1
            log.warning("command refused (%s): %s", exc.code, exc.message)
            payload = error_reply(wearer, now, exc)
        else:
            self.commands_ok += 1
            log.info("command %s carried out", command.name)
            payload = ok_reply(wearer, now, command, result)
            for role in self.hub.links:  # thresholds, pause: the state shows it at once
                self._publish_state(role, force=True)
        where = reply_topic(self.topics, request.response_topic)
        self.client.reply(request, payload, reply_topic=where)

    def _carry_out(self, command: Command, now_s: float) -> Result:
        if isinstance(command, Calibrate):
            return self._calibrate(command)
        if isinstance(command, Snooze | Pause):
            return self._hold(command, now_s)
        if isinstance(command, Resume):
            if self.alerts is not None:
                self.alerts.resume()
            self.hub.paused_until_s = None
            return {}
        if isinstance(command, SetThresholds):
            return self._set_thresholds(command)
        if isinstance(command, PromptAck):
            return self._answer(command)
        if isinstance(command, SetAlerts):
            return self._set_alerts(command)
        raise CommandError(ErrorCode.UNKNOWN_COMMAND, f"cannot carry out {command.name}")

    def _hold(self, command: Snooze | Pause, now_s: float) -> Result:
        if self.alerts is None:
            self.hub.paused_until_s = command.end_s(now_s)
            return {"paused_until_s": round(self.hub.paused_until_s, 3)}
        # The policy runs on the hub's time (sample time); so does the hold's end.
        until = command.end_s(self.alerts.now_s())
        hold = self.alerts.snooze if isinstance(command, Snooze) else self.alerts.pause
        end = hold(until)
        return {"paused_until_s": None if end is None else round(end, 3)}

    def _answer(self, command: PromptAck) -> Result:
        def refuse(message: str) -> CommandError:
            return CommandError(
                ErrorCode.FAILED,
                message,
                command=command.name.value,
                request_id=command.request_id,
            )

        if self.alerts is None:
            raise refuse(f"no open prompt {command.prompt_id!r} (alerts are off)")
        try:
            self.alerts.answer(command.prompt_id, command.answer)
        except UnknownPromptError:
            raise refuse(f"no open prompt {command.prompt_id!r}") from None
        return {"prompt_id": command.prompt_id, "answer": command.answer.value}

    def _set_alerts(self, command: SetAlerts) -> Result:
        """Validate all the settings, then apply them at once (or none)."""
        name, rid = command.name.value, command.request_id
        if self.alerts is None:
            raise CommandError(ErrorCode.FAILED, "alerts are off", command=name, request_id=rid)
        policy = self.alerts.policy
        try:
            config = policy.config.updated(**command.settings)
        except AlertConfigError as exc:
            code = _alert_error_code(exc.field, command.settings)
            raise CommandError(code, str(exc), command=name, request_id=rid) from None
        policy.reconfigure(config)
        applied = config.as_mapping()
        return {key: applied[key] for key in sorted(command.settings)}

    def _calibrate(self, command: Calibrate) -> Result:
        window = command.window_s or DEFAULT_CALIBRATION_WINDOW_S
        starts: Result = {}
        for role, processor in self.hub.processors.items():
            latest = self.hub.latest.get(role)
            if latest is None or len(latest.block) == 0:
                continue
            start = float(latest.block.timestamp_s[-1])
            processor.calibrate(start, start + window)
            starts[f"{role.value}_start_s"] = round(start, 3)
        if not starts:
            raise CommandError(
                ErrorCode.FAILED,
                "no sensor data yet: calibrate once the sensor streams",
                command=command.name.value,
                request_id=command.request_id,
            )
        return {"window_s": window, **starts}

    def _set_thresholds(self, command: SetThresholds) -> Result:
        def refuse(message: str) -> CommandError:
            return CommandError(
                ErrorCode.OUT_OF_RANGE,
                message,
                command=command.name.value,
                request_id=command.request_id,
            )

        current = next(iter(self.hub.processors.values())).config
        try:  # validate once for all sensors before any changes
            config = dataclasses.replace(
                current,
                threshold_deg=(
                    current.threshold_deg
                    if command.threshold_deg is None
                    else command.threshold_deg
                ),
                hold_s=current.hold_s if command.hold_s is None else command.hold_s,
                dip_tolerance_s=current.dip_tolerance_s if command.dip_s is None else command.dip_s,
            )
        except ValueError as exc:
            raise refuse(str(exc)) from None
        for processor in self.hub.processors.values():
            processor.set_thresholds(
                threshold_deg=config.threshold_deg,
                hold_s=config.hold_s,
                dip_tolerance_s=config.dip_tolerance_s,
            )
        return {
            "threshold_deg": config.threshold_deg,
            "hold_s": config.hold_s,
            "dip_s": config.dip_tolerance_s,
        }
