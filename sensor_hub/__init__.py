"""posture-hub: the hub of an open wearable posture monitor.

Data flows one way: BLE -> decode -> estimate angles -> detect -> alert/prompt -> publish (MQTT)
-> record (store) -> dashboard.  Each stage is a subpackage; only the pipeline/app modules know more
than one stage.
"""

__version__ = "0.2.0"

__all__ = ["__version__"]
