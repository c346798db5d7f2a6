"""Tests of the wearer simulator (sensor_hub.simulate)."""
