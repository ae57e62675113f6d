"""Ingest benchmark: Forewarn's ``forewarn ingest`` against Telegraf on the same load and machine.

Simulated devices publish heat-pump readings over MQTT (QoS 1) at a controlled rate;
the benchmark measures sustained end-to-end throughput (first publish → last reading
queryable in InfluxDB), the CPU and memory of the ingest process, and checks that
the stored count equals the sent count. Then the same payloads go through Telegraf
(``mqtt_consumer`` → ``influxdb_v2``, built by ``benchmarks/build-telegraf.sh``) into
another bucket, and both rates and their ratio are printed.

Both consumers start from an empty broker session and an empty bucket, on private
Mosquitto and InfluxDB instances started for the run (nothing else is measured).

    .venv/bin/python benchmarks/ingest.py                     # 20,000 readings/s for 20 s
    .venv/bin/python benchmarks/ingest.py --rate 0 --json     # flood: as fast as possible
    .venv/bin/python benchmarks/ingest.py --per-message 10    # gateways sending batches

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
import psutil
import tomli_w
from influxdb_client import InfluxDBClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import Settings, load_settings  # noqa: E402
from ingest.testing import sample_reading, wait_until  # noqa: E402
from services.influxdb import InfluxDB  # noqa: E402
from services.mosquitto import Mosquitto  # noqa: E402
from services.process import free_port  # noqa: E402

TELEGRAF_BUILD = ROOT / "benchmarks" / "build-telegraf.sh"
WINDOW = 1000  # QoS 1 messages a publisher has in flight


class BenchMosquitto(Mosquitto):
    """The project's private Mosquitto, with a wide in-flight window for MQTT 3.1.1 clients.

    Telegraf's MQTT client speaks 3.1.1, for which the broker's ``max_inflight_messages``
    (100 in the development config) caps unacknowledged deliveries; MQTT 5 clients such
    as Forewarn's set their own window (receive maximum). Raising it keeps the race fair.
    """

    def write_config(self) -> Path:
        conf = super().write_config()
        text = conf.read_text()
        conf.write_text(text.replace("max_inflight_messages 100", "max_inflight_messages 10000"))
        return conf


@dataclass
class Result:
    name: str
    sent: int
    stored: int
    seconds: float
    readings_per_s: float
    cpu_percent: float  # of one core, averaged over the run
    peak_rss_mb: float
    lossless: bool


# -- load -------------------------------------------------------------------------------


def make_payloads(devices: int, total: int, per_message: int, t0: int) -> list[tuple[str, bytes]]:
    """(topic suffix, payload) pairs: ``total`` readings round-robin over ``devices``."""
    out: list[tuple[str, bytes]] = []
    per_device = -(-total // devices)
    for chunk_start in range(0, per_device, per_message):
        for d in range(devices):
            seqs = [s for s in range(chunk_start, min(chunk_start + per_message, per_device))
                    if s * devices + d < total]
            if not seqs:
                continue
            docs = [sample_reading(s, t0 + s * 1000) for s in seqs]
            body = docs[0] if per_message == 1 else {"readings": docs}
            out.append((f"site-{d % 50}/hp-{d:05d}/telemetry", orjson.dumps(body)))
    return out


def publish(host: str, port: int, prefix: str, payloads: list[tuple[str, bytes]],
            rate: float, per_message: int, started: Any) -> None:
    """Publish at ``rate`` readings/s (0: as fast as possible), QoS 1, from one process."""
    from mqttload import LeanPublisher, encode_publish

    packets = [encode_publish(f"{prefix}/{suffix}", body) for suffix, body in payloads]
    pub = LeanPublisher(host, port, f"bench-pub-{os.getpid()}", window=WINDOW)
    started.value = time.time()
    pub.publish_all(packets, rate / per_message if rate else 0.0)
    pub.close(len(packets))


# -- measuring ----------------------------------------------------------------------------


class Sampler(threading.Thread):
    """CPU time and peak RSS of a process and its children while it runs."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.peak_rss = 0
        self.cpu = 0.0
        self._halt = threading.Event()
        self._cpu_seen: dict[int, float] = {}

    def _tree(self) -> list[psutil.Process]:
        try:
            return [self.proc, *self.proc.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def run(self) -> None:
        while not self._halt.wait(0.2):
            rss = 0
            for p in self._tree():
                try:
                    t = p.cpu_times()
                    self._cpu_seen[p.pid] = t.user + t.system
                    rss += p.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            self.peak_rss = max(self.peak_rss, rss)

    def start_window(self) -> None:
        self._base = dict(self._cpu_seen)
        for p in self._tree():
            try:
                t = p.cpu_times()
                self._base[p.pid] = t.user + t.system
            except psutil.NoSuchProcess:
                pass

    def cpu_seconds(self) -> float:
        return sum(v - self._base.get(pid, 0.0) for pid, v in self._cpu_seen.items())

    def stop(self) -> None:
        self._halt.set()
        self.join()


def count(client: InfluxDBClient, bucket: str, measurement: str, field: str) -> int:
    flux = (f'from(bucket: "{bucket}") |> range(start: 0)'
            f' |> filter(fn: (r) => r._measurement == "{measurement}" and r._field == "{field}")'
            ' |> group() |> count()')
    tables = client.query_api().query(flux)
    return sum(int(r.get_value()) for t in tables for r in t.records)


def run_load(name: str, consumer: subprocess.Popen[bytes], ready: Any, *, mqtt_port: int,
             prefix: str, payloads: list[tuple[str, bytes]], total: int, args: argparse.Namespace,
             influx: InfluxDBClient, bucket: str, field: str) -> Result:
    sampler = Sampler(consumer.pid)
    sampler.start()
    try:
        if not ready():
            raise SystemExit(f"{name} did not start; see its log")
        time.sleep(1.0)
        sampler.start_window()
        started = multiprocessing.get_context("spawn").Value("d", 0.0)
        pubs = []
        shares = [payloads[i::args.publishers] for i in range(args.publishers)]
        for share in shares:
            p = multiprocessing.get_context("spawn").Process(
                target=publish, args=("127.0.0.1", mqtt_port, prefix, share,
                                      args.rate / args.publishers, args.per_message, started))
            p.start()
            pubs.append(p)
        stored = 0
        deadline = time.time() + args.duration * 6 + 120
        while time.time() < deadline:
            # Counting scans the bucket and costs InfluxDB CPU: poll rarely until near the end.
            time.sleep(2.0 if stored < 0.9 * total else 0.25)
            stored = count(influx, bucket, "telemetry", field)
            if stored >= total:
                break
        finished = time.time()
        for p in pubs:
            p.join(timeout=60)
        seconds = finished - started.value
        cpu = sampler.cpu_seconds()
    finally:
        sampler.stop()
    return Result(name, total, stored, round(seconds, 2), round(stored / seconds),
                  round(100 * cpu / seconds, 1), round(sampler.peak_rss / 2**20, 1),
                  stored == total)


def wait_for(check: Any, timeout: float) -> bool:
    """:func:`wait_until`, counting an exception from ``check`` as "not up yet"."""
    def quiet() -> bool:
        try:
            return bool(check())
        except Exception:  # not up yet
            return False
    return wait_until(quiet, timeout, every=0.2)


# -- the two contestants ------------------------------------------------------------------


def run_forewarn(settings: Settings, workdir: Path, payloads: list[tuple[str, bytes]],
                 total: int, args: argparse.Namespace, influx: InfluxDBClient) -> Result:
    metrics_port = free_port()
    prefix = "bench-forewarn/v1"
    config = {
        "mqtt": {"url": settings.mqtt.url, "topic_prefix": prefix, "client_id": "bench-ingest",
                 "shared_group": "bench"},
        "influx": {"url": settings.influx.url, "org": settings.influx.org,
                   "bucket": settings.influx.bucket,
                   "token": settings.influx.token.get_secret_value()},
        "ingest": {"spool_dir": str(workdir / "spool"),
                   "dead_letter_path": str(workdir / "dead.sqlite"),
                   "metrics_port": metrics_port, "batch_size": args.batch_size,
                   "flush_interval": 1.0},
    }
    (workdir / "forewarn.toml").write_text(tomli_w.dumps(config))
    log = (workdir / "forewarn-ingest.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "--config",
                             str(workdir / "forewarn.toml"), "ingest", "--workers",
                             str(args.workers), "--log-level", "warning"],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

    def ready() -> bool:
        import urllib.request
        ports = [metrics_port + i for i in range(args.workers)]

        def up() -> bool:
            for port in ports:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                    if b"forewarn_ingest_connected 1.0" not in r.read():
                        return False
            return True
        return wait_for(up, 60)

    try:
        return run_load("forewarn", proc, ready, mqtt_port=settings.mqtt.port, prefix=prefix,
                        payloads=payloads, total=total, args=args, influx=influx,
                        bucket=settings.influx.bucket, field="seq")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        log.close()


TELEGRAF_CONF = """\
[agent]
  interval = "1s"
  flush_interval = "{flush}s"
  flush_jitter = "0s"
  metric_batch_size = {batch}
  metric_buffer_limit = 2000000
  omit_hostname = true
  quiet = true

[[inputs.mqtt_consumer]]
  servers = ["tcp://127.0.0.1:{mqtt_port}"]
  topics = ["{prefix}/+/+/telemetry"]
  qos = 1
  client_id = "bench-telegraf"
  persistent_session = true
  max_undelivered_messages = {undelivered}
  topic_tag = ""
  data_format = "json_v2"

  [[inputs.mqtt_consumer.topic_parsing]]
    topic = "+/+/+/+/telemetry"
    tags = "_/_/site/device_id/_"

  [[inputs.mqtt_consumer.json_v2]]
    measurement_name = "telemetry"
    [[inputs.mqtt_consumer.json_v2.object]]
      path = "{path}"
      timestamp_key = "ts"
      timestamp_format = "unix_ms"
      disable_prepend_keys = true
      [inputs.mqtt_consumer.json_v2.object.fields]
        seq = "int"
        mode = "string"

[[outputs.influxdb_v2]]
  urls = ["{influx_url}"]
  token = "{token}"
  organization = "{org}"
  bucket = "{bucket}"
  content_encoding = "gzip"
"""


def telegraf_binary() -> Path:
    done = subprocess.run(["bash", str(TELEGRAF_BUILD)], check=True, stdout=subprocess.PIPE,
                          text=True)
    return Path(done.stdout.strip().splitlines()[-1])


def run_telegraf(settings: Settings, workdir: Path, payloads: list[tuple[str, bytes]],
                 total: int, args: argparse.Namespace, influx: InfluxDBClient) -> Result:
    binary = telegraf_binary()
    bucket = "telegraf"
    org = influx.organizations_api().find_organizations(org=settings.influx.org)[0]
    influx.buckets_api().create_bucket(bucket_name=bucket, org_id=org.id)
    prefix = "bench-telegraf/v1"
    conf = workdir / "telegraf.conf"
    conf.write_text(TELEGRAF_CONF.format(
        flush=1, batch=args.batch_size, mqtt_port=settings.mqtt.port, prefix=prefix,
        undelivered=10_000, path="readings" if args.per_message > 1 else "@this",
        influx_url=settings.influx.url, token=settings.influx.token.get_secret_value(),
        org=settings.influx.org, bucket=bucket))
    log = (workdir / "telegraf.log").open("wb")
    proc = subprocess.Popen([str(binary), "--config", str(conf)], stdout=log,
                            stderr=subprocess.STDOUT)

    def ready() -> bool:
        time.sleep(3.0)  # Telegraf has no readiness endpoint in this build
        return proc.poll() is None

    try:
        return run_load("telegraf", proc, ready, mqtt_port=settings.mqtt.port, prefix=prefix,
                        payloads=payloads, total=total, args=args, influx=influx,
                        bucket=bucket, field="seq")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        log.close()


# -- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=20_000,
                        help="readings/s to publish (0: as fast as possible; default 20000)")
    parser.add_argument("--duration", type=float, default=20, help="seconds of load (default 20)")
    parser.add_argument("--devices", type=int, default=2000, help="simulated devices")
    parser.add_argument("--per-message", type=int, default=1,
                        help="readings per MQTT message (1 = one reading per message)")
    parser.add_argument("--publishers", type=int, default=1, help="publisher processes")
    parser.add_argument("--workers", type=int, default=1, help="forewarn ingest --workers")
    parser.add_argument("--batch-size", type=int, default=5000, help="readings per write")
    parser.add_argument("--skip-telegraf", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()

    total = int((args.rate or 20_000) * args.duration)
    t0 = int(time.time() * 1000) - total // args.devices * 1000 - 3_600_000
    payloads = make_payloads(args.devices, total, args.per_message, t0)

    workdir = Path(tempfile.mkdtemp(prefix="forewarn-bench-"))
    mosquitto = BenchMosquitto(workdir, port=free_port())
    influxdb = InfluxDB(workdir, port=free_port())
    mosquitto.start()
    influxdb.start()
    try:
        settings = load_settings(
            mqtt={"url": mosquitto.url},
            influx={"url": influxdb.url, "org": influxdb.org, "bucket": influxdb.bucket,
                    "token": influxdb.token})
        with InfluxDBClient(url=influxdb.url, token=influxdb.token, org=influxdb.org,
                            timeout=60_000) as influx:
            results = [run_forewarn(settings, workdir, payloads, total, args, influx)]
            if not args.skip_telegraf:
                results.append(run_telegraf(settings, workdir, payloads, total, args, influx))
    finally:
        mosquitto.stop()
        influxdb.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    figures: dict[str, Any] = {
        "load": {"readings": total, "target_rate": args.rate, "devices": args.devices,
                 "readings_per_message": args.per_message, "workers": args.workers,
                 "cores": os.cpu_count()},
        "results": [asdict(r) for r in results],
    }
    if len(results) == 2 and results[1].readings_per_s:
        figures["ratio_forewarn_to_telegraf"] = round(
            results[0].readings_per_s / results[1].readings_per_s, 2)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    load = figures["load"]
    print(f"load: {load['readings']} readings from {load['devices']} devices, "
          f"{load['readings_per_message']} per message, target "
          f"{'max' if not args.rate else f'{args.rate:.0f}/s'}, {load['cores']} cores")
    print(f"{'':10} {'readings/s':>11} {'seconds':>8} {'stored/sent':>15} {'CPU %':>6} "
          f"{'RSS MB':>7}")
    for r in results:
        print(f"{r.name:10} {r.readings_per_s:>11,} {r.seconds:>8} "
              f"{f'{r.stored}/{r.sent}':>15} {r.cpu_percent:>6} {r.peak_rss_mb:>7}"
              + ("" if r.lossless else "  LOSS"))
    if "ratio_forewarn_to_telegraf" in figures:
        print(f"forewarn / telegraf: {figures['ratio_forewarn_to_telegraf']}x")


if __name__ == "__main__":
    main()
