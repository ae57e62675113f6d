"""The private InfluxDB 2.x stores points written by influxdb-client and answers Flux."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

from config import Settings
from services import ServiceStack


def test_points_written_with_influxdb_client_come_back_from_a_flux_query(
    settings: Settings,
) -> None:
    start = datetime(2026, 1, 15, 6, 0, tzinfo=UTC)
    points = [
        Point("heatpump")
        .tag("device_id", "hp-test-0001")
        .field("outdoor_temp", -12.5 + i)
        .field("compressor_hz", 40.0 + 2 * i)
        .time(start + timedelta(minutes=i), WritePrecision.S)
        for i in range(10)
    ]
    with InfluxDBClient(
        url=settings.influx.url, token=settings.influx.token.get_secret_value(),
        org=settings.influx.org,
    ) as client:
        client.write_api(write_options=SYNCHRONOUS).write(
            bucket=settings.influx.bucket, record=points
        )
        tables = client.query_api().query(
            f'''
            from(bucket: "{settings.influx.bucket}")
              |> range(start: 2026-01-15T00:00:00Z, stop: 2026-01-16T00:00:00Z)
              |> filter(fn: (r) => r._measurement == "heatpump" and r.device_id == "hp-test-0001")
              |> filter(fn: (r) => r._field == "outdoor_temp")
              |> sort(columns: ["_time"])
            '''
        )
        values = [record.get_value() for table in tables for record in table.records]
        assert values == [-12.5 + i for i in range(10)]
        mean = client.query_api().query(
            f'''
            from(bucket: "{settings.influx.bucket}")
              |> range(start: 2026-01-15T00:00:00Z, stop: 2026-01-16T00:00:00Z)
              |> filter(fn: (r) => r._field == "compressor_hz" and r.device_id == "hp-test-0001")
              |> mean()
            '''
        )
        assert mean[0].records[0].get_value() == 49.0


def test_onboarding_token_is_required(service_stack: ServiceStack, settings: Settings) -> None:
    """The instance is set up with a generated token; a wrong token is refused."""
    with InfluxDBClient(url=settings.influx.url, token="wrong", org=settings.influx.org) as bad:
        try:
            bad.query_api().query('buckets() |> limit(n: 1)')
        except Exception as exc:  # influxdb_client raises ApiException with status 401
            assert getattr(exc, "status", None) == 401
        else:
            raise AssertionError("a wrong token was accepted")
    assert len(service_stack.influxdb.token) >= 32
