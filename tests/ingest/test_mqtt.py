"""The MQTT edge subscribes to the right filters."""

from __future__ import annotations

from ingest.mqtt import subscriptions


def test_workers_share_everything_and_also_see_retained_status_and_metadata() -> None:
    assert subscriptions("forewarn/v1", "ingest") == [
        "$share/ingest/forewarn/v1/#", "forewarn/v1/+/+/status", "forewarn/v1/+/+/meta"]


def test_without_a_shared_group_one_worker_subscribes_to_everything() -> None:
    assert subscriptions("forewarn/v1", None) == ["forewarn/v1/#"]
