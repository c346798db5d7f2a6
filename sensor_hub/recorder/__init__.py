"""The recorder: MQTT messages in, points out to InfluxDB (or a server speaking its v2 write
protocol) and to the embedded SQLite store the built-in dashboard reads."""
