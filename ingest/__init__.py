"""Ingest: device telemetry from MQTT into the telemetry store, never losing a reading."""
