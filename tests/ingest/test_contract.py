"""The device contract in code and in docs/telemetry.md say the same thing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.contract import SIGNALS, Channel, DeviceTopic, TopicError, subscription
from ingest.validate import Reason

DOC = (Path(__file__).resolve().parents[2] / "docs" / "telemetry.md").read_text()


@pytest.mark.parametrize("name", list(SIGNALS))
def test_every_signal_is_documented_with_its_unit_and_range(name: str) -> None:
    spec = SIGNALS[name]
    row = f"| `{name}` | {spec.unit} | {spec.description} | {spec.minimum:g} .. {spec.maximum:g} |"
    assert row in DOC


@pytest.mark.parametrize("reason", [r.value for r in Reason])
def test_every_rejection_reason_is_documented(reason: str) -> None:
    assert f"`{reason}`" in DOC


def test_a_device_topic_parses_and_prints_back() -> None:
    topic = DeviceTopic.parse("forewarn/v1/site-1/hp-1/telemetry")
    assert (topic.site, topic.device_id, topic.channel) == ("site-1", "hp-1", Channel.TELEMETRY)
    assert str(topic) == "forewarn/v1/site-1/hp-1/telemetry"


def test_a_topic_with_a_wildcard_or_slash_in_an_id_is_refused() -> None:
    with pytest.raises(TopicError, match="device id"):
        DeviceTopic("site-1", "hp+1", Channel.STATUS)


def test_the_subscription_can_be_shared() -> None:
    assert subscription("forewarn/v1", "g") == "$share/g/forewarn/v1/+/+/+"
