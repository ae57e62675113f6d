"""A ticket carries the full context: from the directory, or from what the device
publishes about itself when nobody registered it."""

from __future__ import annotations

from pathlib import Path

from config import InfluxSettings
from dispatch.context import store_meta_lookup
from ingest.records import Batch, DeviceMeta
from ingest.store.embedded import EmbeddedStore
from ingest.store.influx import InfluxStore
from services.process import free_port


def test_device_metadata_comes_from_the_telemetry_store(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "telemetry.sqlite")
    doc = {"model": "AW-12", "firmware": "3.2.1", "heat_source_role": "sole",
           "household": {"vulnerable": True}}
    store.write(Batch(metas=[DeviceMeta("hp-9", "site-9", 1_768_802_400_000, doc)]))
    lookup = store_meta_lookup(store)
    assert lookup("hp-9") == doc
    assert lookup("nobody") is None
    store.close()


def test_a_telemetry_store_that_is_down_gives_no_metadata_instead_of_failing() -> None:
    down = InfluxStore(InfluxSettings(url=f"http://127.0.0.1:{free_port()}", timeout=2.0))
    assert store_meta_lookup(down)("hp-1") is None
    down.close()
