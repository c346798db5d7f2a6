"""The hub as a service: the stages joined (BLE hub -> MQTT, MQTT -> stores)."""
