"""The InfluxDB 2.x telemetry store, through influxdb-client only.

Writes are line protocol (:mod:`ingest.lineproto`), gzip-compressed at a tunable level
and posted synchronously, so "returned" means "durable in InfluxDB". Reads are Flux
queries; downsampling is pushed into Flux (``aggregateWindow``), never done here.
Errors of influxdb-client and urllib3 are translated into :class:`StoreUnavailable`
(retry later) or :class:`StoreRejected` (the data itself was refused).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson
import urllib3
from influxdb_client import Dialect, InfluxDBClient
from influxdb_client.client.flux_table import FluxRecord
from influxdb_client.rest import ApiException
from influxdb_client.service.write_service import WriteService

from config import InfluxSettings
from ingest import lineproto
from ingest.errors import StoreRejected, StoreUnavailable
from ingest.reading import CONTEXT, RUNNING_HZ, Reading, check_running_only
from ingest.records import Batch, DeviceEvent, DeviceMeta, DeviceStatus
from ingest.store.base import (
    AFTER_DEFROST_LOOKBACK_MS,
    Aggregate,
    DeviceSummary,
    SignalFrame,
    check_aggregate,
    window_start,
)
from ingest.validate import SIGNAL_NAME

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MS: Final = timedelta(milliseconds=1)
_NOT_SIGNALS: Final = ("seq", "mode")
_PARAM: Final = re.compile(r"\bparams\.(\w+)")
_RETRYABLE: Final = frozenset({401, 403, 404, 408, 429})


def _ms(record: FluxRecord) -> int:
    return (record.get_time() - _EPOCH) // _MS


class InfluxStore:
    """Telemetry in one InfluxDB 2.x bucket."""

    def __init__(self, settings: InfluxSettings, gzip_level: int = 1) -> None:
        self.settings = settings
        self.bucket = settings.bucket
        self.gzip_level = gzip_level
        self._client = InfluxDBClient(
            url=settings.url, token=settings.token.get_secret_value(), org=settings.org,
            timeout=int(settings.timeout * 1000), enable_gzip=False, retries=False)
        self._writes = WriteService(self._client.api_client)
        self._queries = self._client.query_api()

    # -- writing ------------------------------------------------------------------------

    def write(self, batch: Batch) -> None:
        if not len(batch):
            return
        body = lineproto.to_body(lineproto.batch_lines(batch))
        headers: dict[str, Any] = {}
        if self.gzip_level:
            body = gzip.compress(body, compresslevel=self.gzip_level, mtime=0)
            headers["content_encoding"] = "gzip"
        try:
            self._writes.post_write(org=self.settings.org, bucket=self.bucket, body=body,
                                    precision="ms", content_type="text/plain; charset=utf-8",
                                    **headers)
        except ApiException as exc:
            raise self._translate(exc) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StoreUnavailable(f"InfluxDB at {self.settings.url} cannot be reached: "
                                   f"{exc}") from exc

    def _translate(self, exc: ApiException) -> Exception:
        status = int(exc.status or 0)
        body = exc.body.decode(errors="replace") if isinstance(exc.body, bytes) else exc.body
        message = (body or exc.reason or "").strip()
        where = f"InfluxDB at {self.settings.url} (bucket {self.bucket!r})"
        if status in (401, 403):
            return StoreUnavailable(f"{where} refused the token ({status}): check influx.token")
        if status == 404:
            return StoreUnavailable(f"{where}: bucket or org not found ({message}); check "
                                    "influx.org and influx.bucket")
        if 400 <= status < 500 and status not in _RETRYABLE:
            return StoreRejected(f"{where} refused the request ({status}): {message}")
        return StoreUnavailable(f"{where} answered {status}: {message}")

    def write_readings(self, readings: Sequence[Reading]) -> None:
        self.write(Batch.of(readings))

    # -- reading ------------------------------------------------------------------------

    def _query(self, flux: str, **params: str | int) -> list[FluxRecord]:
        """Run ``flux`` with each ``params.<name>`` replaced by a safe Flux literal.

        (InfluxDB OSS does not support server-side query parameters.)
        """
        values = {"bucket": self.bucket, **params}
        text = _PARAM.sub(lambda m: _literal(values[m.group(1)]), flux)
        try:
            tables = self._queries.query(text)
        except ApiException as exc:
            raise self._translate(exc) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StoreUnavailable(f"InfluxDB at {self.settings.url} cannot be reached: "
                                   f"{exc}") from exc
        return [record for table in tables for record in table.records]

    @staticmethod
    def _range(start_ms: int, stop_ms: int) -> dict[str, int]:
        return {"start": start_ms * 1_000_000, "stop": stop_ms * 1_000_000}

    _FROM: Final = ('from(bucket: params.bucket)\n'
                    '  |> range(start: time(v: params.start), stop: time(v: params.stop))\n')

    def read_readings(self, device_id: str, start_ms: int, stop_ms: int) -> list[Reading]:
        records = self._query(
            self._FROM
            + '  |> filter(fn: (r) => r._measurement == "telemetry" and r.device_id == params.d)\n'
              '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")\n'
              '  |> group()',
            d=device_id, **self._range(start_ms, stop_ms))
        rows: dict[int, dict[str, Any]] = {}  # a reading's context and machine points merged
        for rec in records:
            rows.setdefault(_ms(rec), {}).update(
                (k, x) for k, x in rec.values.items() if x is not None)
        readings = []
        for ts, v in sorted(rows.items()):
            signals = {k: float(x) for k, x in v.items()
                       if not k.startswith("_") and k not in
                       ("result", "table", "device_id", "site", "running", *_NOT_SIGNALS)}
            readings.append(Reading(device_id, v["site"], ts, int(v["seq"]), v["mode"],
                                    signals))
        return readings

    def read_signals(self, device_id: str, start_ms: int, stop_ms: int,
                     signals: Sequence[str] | None = None,
                     every_ms: int | None = None,
                     running_only: Collection[str] = (),
                     aggregate: Aggregate = "mean") -> SignalFrame:
        check_aggregate(aggregate)
        wanted = _field_filter(signals)
        flux = (self._FROM
                + '  |> filter(fn: (r) => r._measurement == "telemetry" and r.device_id == '
                  f'params.d)\n  |> filter(fn: (r) => {wanted})\n')
        if every_ms is not None:
            if every_ms <= 0:
                raise ValueError(f"every_ms must be positive, not {every_ms}")
            start_ms = window_start(start_ms, every_ms)
            flux += _means(every_ms, signals, running_only, ["_field"], aggregate)
        flux += ('  |> group(columns: ["_field"])\n'
                 '  |> keep(columns: ["_time", "_field", "_value"])')
        records = self._query(flux, d=device_id, **self._range(start_ms, stop_ms))
        cells: dict[int, dict[str, float]] = {}
        for rec in records:
            cells.setdefault(_ms(rec), {})[rec.get_field()] = float(rec.get_value())
        times = sorted(cells)
        names = sorted({n for row in cells.values() for n in row})
        columns = {n: [cells[t].get(n) for t in times] for n in names}
        return SignalFrame(device_id, times, columns)

    def read_fleet_signals(self, start_ms: int, stop_ms: int, every_ms: int,
                           signals: Sequence[str] | None = None,
                           device_ids: Sequence[str] | None = None,
                           running_only: Collection[str] = (),
                           aggregate: Aggregate = "mean") -> dict[str, SignalFrame]:
        """One Flux query for the whole fleet: aggregated and pivoted in InfluxDB, read back
        as plain CSV (parsed in C by pandas: a FluxRecord per value would be far slower)."""
        if every_ms <= 0:
            raise ValueError(f"every_ms must be positive, not {every_ms}")
        check_aggregate(aggregate)
        wanted = _field_filter(signals)
        only = sorted(set(device_ids)) if device_ids is not None else None
        devices = ""
        if only is not None and len(only) <= _FLUX_SET_MAX:
            devices = (' and contains(value: r.device_id, set: ['
                       + ", ".join(_literal(d) for d in only) + "])")
        start_ms = window_start(start_ms, every_ms)
        flux = (self._FROM
                + f'  |> filter(fn: (r) => r._measurement == "telemetry"{devices})\n'
                  f'  |> filter(fn: (r) => {wanted})\n'
                + _means(every_ms, signals, running_only, ["device_id", "_field"], aggregate)
                + '  |> keep(columns: ["_time", "_field", "_value", "device_id"])\n'
                  '  |> pivot(rowKey: ["_time", "device_id"], columnKey: ["_field"], '
                  'valueColumn: "_value")\n'
                  '  |> group()')
        return _fleet_frames(self._query_csv(flux, **self._range(start_ms, stop_ms)), only)

    def _query_csv(self, flux: str, **params: str | int) -> bytes:
        """:meth:`_query`, answered as plain CSV (see :data:`_CSV`)."""
        values = {"bucket": self.bucket, **params}
        text = _PARAM.sub(lambda m: _literal(values[m.group(1)]), flux)
        try:
            response = self._queries.query_raw(text, dialect=_CSV)
            body: bytes = response.data if hasattr(response, "data") else response.read()
        except ApiException as exc:
            raise self._translate(exc) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StoreUnavailable(f"InfluxDB at {self.settings.url} cannot be reached: "
                                   f"{exc}") from exc
        return body

    def read_fleet_after_defrost(self, start_ms: int, stop_ms: int, signals: Sequence[str],
                                 device_ids: Sequence[str] | None = None
                                 ) -> dict[str, SignalFrame]:
        """One Flux query for the whole fleet; only the qualifying readings come back.

        Per device (a group of its own), its readings in time order as rows (``pivot``):
        ``seq`` (every reading has one, so a reading without any of the wanted fields still
        counts as the previous one), ``defrost``, ``compressor_hz`` and ``signals``. Whether
        a row is defrosting (1 or 0) then steps by -1 (``difference``) exactly from a
        defrosting reading to one that is not; of those, the running ones are kept.
        """
        names = list(dict.fromkeys(signals))
        _signal_names(names)
        only = sorted(set(device_ids)) if device_ids is not None else None
        if only is not None and not only:
            return {}
        devices = ""
        if only is not None and len(only) <= _FLUX_SET_MAX:
            # Equality on the tag, not contains(): only that is filtered in storage.
            devices = (" and (" + " or ".join(f"r.device_id == {_literal(d)}" for d in only)
                       + ")")
        fields = " or ".join(f'r._field == "{n}"' for n in _signal_names(
            {"compressor_hz", "defrost", *names}.difference(_NOT_SIGNALS)))
        # The reading markers (seq, an integer) as floats, like the signals: pivot wants
        # one type. Each branch has a single filter, so both are read in storage (a second
        # filter in a union branch is not, and trips over the other fields' types). The
        # pivoted rows come in the order first seen, hence the sort.
        telemetry = ('from(bucket: params.bucket)\n'
                     '      |> range(start: time(v: params.start), stop: time(v: params.stop))\n'
                     f'      |> filter(fn: (r) => r._measurement == "telemetry"{devices} and ')
        kept = ", ".join(f'"{c}"' for c in ["_time", "device_id", *names]
                         if c not in _NOT_SIGNALS)
        flux = ('union(tables: [\n'
                f'    {telemetry}r._field == "seq")\n'
                '      |> toFloat(),\n'
                f'    {telemetry}({fields}))])\n'
                '  |> group(columns: ["device_id"])\n'
                '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")\n'
                '  |> sort(columns: ["_time"])\n'
                '  |> map(fn: (r) => ({r with _defrosting: '
                'if exists r.defrost and r.defrost > 0.0 then 1 else 0}))\n'
                '  |> difference(columns: ["_defrosting"])\n'
                '  |> filter(fn: (r) => r._defrosting == -1)\n'  # first: cheap, leaves few
                '  |> filter(fn: (r) => r._time >= time(v: params.since)'
                f' and r.compressor_hz >= {float(RUNNING_HZ)!r}'
                ' and (not exists r.defrost or r.defrost == 0.0))\n'
                f'  |> keep(columns: [{kept}])\n'
                '  |> group()')
        body = self._query_csv(flux, **self._range(start_ms - AFTER_DEFROST_LOOKBACK_MS,
                                                   stop_ms),
                               since=start_ms * 1_000_000)
        return _fleet_frames(body, only, names)

    def read_fleet_aggregates(self, start_ms: int, stop_ms: int, every_ms: int,
                              aggregates: Sequence[Aggregate],
                              signals: Sequence[str] | None = None,
                              device_ids: Sequence[str] | None = None,
                              running_only: Collection[str] = ()
                              ) -> dict[Aggregate, dict[str, SignalFrame]]:
        """One query per aggregate: each is aggregated in storage, so nothing is read twice."""
        return {a: self.read_fleet_signals(start_ms, stop_ms, every_ms, signals, device_ids,
                                           running_only, a) for a in aggregates}

    def count_readings(self, start_ms: int, stop_ms: int, device_id: str | None = None) -> int:
        device = " and r.device_id == params.d" if device_id is not None else ""
        records = self._query(
            self._FROM
            + f'  |> filter(fn: (r) => r._measurement == "telemetry" and r._field == "seq"{device})'
              '\n  |> group() |> count()',
            d=device_id or "", **self._range(start_ms, stop_ms))
        return sum(int(rec.get_value()) for rec in records)

    def _latest(self, measurement: str, device_id: str | None, since_ms: int = 0
                ) -> list[FluxRecord]:
        device = " and r.device_id == params.d" if device_id is not None else ""
        return self._query(
            'from(bucket: params.bucket)\n'
            '  |> range(start: time(v: params.start))\n'
            f'  |> filter(fn: (r) => r._measurement == params.m{device})\n'
            '  |> group(columns: ["device_id", "_field"]) |> last()',
            m=measurement, d=device_id or "", start=since_ms * 1_000_000)

    def latest_status(self, device_id: str) -> DeviceStatus | None:
        records = self._latest(lineproto.STATUS, device_id)
        return _status(records[0]) if records else None

    def latest_meta(self, device_id: str) -> DeviceMeta | None:
        records = self._latest(lineproto.META, device_id)
        return _meta(records[0]) if records else None

    def events(self, device_id: str, start_ms: int, stop_ms: int) -> list[DeviceEvent]:
        records = self._query(
            self._FROM
            + f'  |> filter(fn: (r) => r._measurement == "{lineproto.EVENT}" and '
              'r.device_id == params.d)\n'
              '  |> pivot(rowKey: ["_time", "code"], columnKey: ["_field"], '
              'valueColumn: "_value")\n'
              '  |> group() |> sort(columns: ["_time", "code"])',
            d=device_id, **self._range(start_ms, stop_ms))
        return [DeviceEvent(device_id, rec.values["site"], _ms(rec), rec.values["code"],
                            rec.values["severity"], rec.values["message"] or "",
                            bool(rec.values["active"])) for rec in records]

    def devices(self, since_ms: int = 0) -> list[DeviceSummary]:
        sites: dict[str, str] = {}
        last: dict[str, int] = {}
        statuses = {rec.values["device_id"]: _status(rec)
                    for rec in self._latest(lineproto.STATUS, None, since_ms)}
        metas = {rec.values["device_id"]: _meta(rec)
                 for rec in self._latest(lineproto.META, None, since_ms)}
        for rec in self._query(
                'from(bucket: params.bucket)\n'
                '  |> range(start: time(v: params.start))\n'
                '  |> filter(fn: (r) => r._measurement == "telemetry" and r._field == "seq")\n'
                '  |> group(columns: ["device_id", "site"]) |> last()',
                start=since_ms * 1_000_000):
            sites[rec.values["device_id"]] = rec.values["site"]
            last[rec.values["device_id"]] = _ms(rec)
        for status in statuses.values():
            sites.setdefault(status.device_id, status.site)
        for meta in metas.values():
            sites.setdefault(meta.device_id, meta.site)
        return [DeviceSummary(d, sites[d], last.get(d), statuses.get(d), metas.get(d))
                for d in sorted(sites)]

    def close(self) -> None:
        self._client.close()


_FLUX_SET_MAX: Final = 200
_CSV: Final = Dialect(header=True, annotations=[], delimiter=",", comment_prefix="#")


def _fleet_frames(body: bytes, only: list[str] | None,
                  names: Sequence[str] | None = None) -> dict[str, SignalFrame]:
    """Pivoted CSV (``_time, device_id, <signals>``) into one frame per device: a column
    for each signal with a value, or, given ``names``, exactly those (all ``None`` for one
    without)."""
    import io

    import numpy as np
    import pandas as pd

    if not body.strip():
        return {}
    table = pd.read_csv(io.BytesIO(body), dtype={"device_id": str})
    table = table.drop(columns=[c for c in ("Unnamed: 0", "result", "table")
                                if c in table.columns])
    if only is not None:
        table = table[table["device_id"].isin(only)]
    stamps = pd.to_datetime(table["_time"], utc=True, format="ISO8601").dt.tz_localize(None)
    times = stamps.to_numpy().astype("datetime64[ms]").astype(np.int64)
    columns = (sorted(c for c in table.columns if c not in ("_time", "device_id"))
               if names is None else list(names))
    values = table.reindex(columns=columns).to_numpy(dtype=float)
    out = {}
    for device, idx in table.groupby("device_id", sort=True).indices.items():
        order = idx[np.argsort(times[idx], kind="stable")]
        cols = {}
        for k, name in enumerate(columns):
            col = values[order, k]
            if names is not None or not np.isnan(col).all():
                cols[name] = [None if v != v else v for v in col.tolist()]
        out[str(device)] = SignalFrame(str(device), times[order].tolist(), cols)
    return out


def _signal_names(names: Collection[str]) -> list[str]:
    """``names``, sorted, each checked to be a signal name (safe inside a Flux string)."""
    for name in names:
        if not SIGNAL_NAME.match(name):
            raise ValueError(f"{name!r} is not a signal name")
    return sorted(names)


def _field_filter(signals: Sequence[str] | None) -> str:
    """The Flux predicate on ``r._field`` for ``signals`` (all signals when None)."""
    if signals is None:
        return " and ".join(f'r._field != "{name}"' for name in _NOT_SIGNALS)
    _signal_names(signals)
    return " or ".join(f'r._field == "{name}"' for name in signals) or "false"


def _means(every_ms: int, signals: Sequence[str] | None, running_only: Collection[str],
           by: list[str], aggregate: Aggregate = "mean") -> str:
    """Means (or another ``aggregate``) over epoch-aligned windows; ``running_only``
    signals over running readings. Every :data:`Aggregate` is pushed down to storage.

    The running-only filter is on the ``running`` tag, so InfluxDB applies it in storage,
    and then each wanted signal of a device is one series: the windows are averaged in
    storage too. Only a machine signal wanted over *all* readings has two series (running
    and not) to be merged first, which takes the slow path through the query engine.
    """
    check_running_only(running_only)
    flux = ""
    if running_only:
        others = " and ".join(f'r._field != "{n}"' for n in _signal_names(running_only))
        flux += f'  |> filter(fn: (r) => r.running == "true" or ({others}))\n'
    mixed = signals is None or any(s not in CONTEXT and s not in running_only for s in signals)
    if mixed:
        flux += '  |> group(columns: [{}])\n'.format(", ".join(f'"{c}"' for c in by))
    return flux + (f'  |> aggregateWindow(every: {int(every_ms)}ms, fn: {aggregate}, '
                   'createEmpty: false, timeSrc: "_start")\n')


def _literal(value: str | int) -> str:
    if isinstance(value, int):
        return str(value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${")
    return f'"{escaped}"'


def _status(rec: FluxRecord) -> DeviceStatus:
    return DeviceStatus(rec.values["device_id"], rec.values["site"], _ms(rec), rec.get_value())


def _meta(rec: FluxRecord) -> DeviceMeta:
    return DeviceMeta(rec.values["device_id"], rec.values["site"], _ms(rec),
                      orjson.loads(rec.get_value()))
