"""Tests of the third-party device adapters (sensor_hub.devices)."""
