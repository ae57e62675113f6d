"""Fixtures for ingest tests: settings isolated per test and a device-side publisher."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import Settings
from ingest.testing import Publisher


@pytest.fixture
def ingest_settings(settings: Settings, tmp_path: Path) -> Settings:
    """Settings for the real services with a topic prefix, client id and group of this test only.

    Persistent sessions and shared groups outlive a test on the session's broker, so
    every test gets its own and no test can receive another's messages.
    """
    tag = uuid.uuid4().hex[:8]
    return settings.model_copy(update={
        "mqtt": settings.mqtt.model_copy(update={
            "topic_prefix": f"t{tag}/v1", "client_id": f"ingest-{tag}",
            "shared_group": f"g{tag}"}),
        "ingest": settings.ingest.model_copy(update={
            "spool_dir": tmp_path / "spool", "dead_letter_path": tmp_path / "dead.sqlite",
            "metrics_port": 0, "flush_interval": 0.2}),
    })


@pytest.fixture
def publisher(ingest_settings: Settings) -> Iterator[Publisher]:
    pub = Publisher(ingest_settings.mqtt, f"device-{uuid.uuid4().hex[:8]}")
    yield pub
    pub.close()
