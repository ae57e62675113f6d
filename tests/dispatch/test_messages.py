"""Customer messages are short, plain and specific, in Swedish and English (pure)."""

from __future__ import annotations

import pytest

from dispatch.messages import KINDS, LANGUAGES, language_of, render

START = 1_768_813_200_000  # Monday 2026-01-19 10:00 Stockholm


def test_the_booked_message_says_what_we_noticed_when_we_come_and_that_nothing_is_needed() -> None:
    m = render("booked", "en", name="Anna", fault="refrigerant_leak", technician="Erik",
               start_ms=START, end_ms=START + 7_200_000, timezone="Europe/Stockholm")
    assert "refrigerant leak" in m.body
    assert "Monday 19 January between 10:00 and 12:00" in m.body
    assert "Erik" in m.body and "You don't need to do anything" in m.body
    assert len(m.body.split()) < 80


def test_swedish_dates_and_words() -> None:
    m = render("booked", "sv", name="Anna", fault="compressor_wear", technician="Erik",
               start_ms=START, end_ms=START + 7_200_000, timezone="Europe/Stockholm")
    assert "måndag den 19 januari mellan kl. 10:00 och 12:00" in m.body
    assert "sliten kompressor" in m.body and "Du behöver inte göra något" in m.body


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_message_exists_in_every_language(language: str, kind: str) -> None:
    m = render(kind, language, name="A", fault="low_flow", technician="T", start_ms=START,
               end_ms=START + 1, timezone="Europe/Stockholm", reason="r")
    assert m.subject and m.body


def test_an_unknown_language_falls_back_to_the_default() -> None:
    assert language_of("de", "sv") == "sv"
    assert language_of("en", "sv") == "en"
    with pytest.raises(ValueError, match="languages"):
        render("booked", "de", name="A", fault="x", technician="T", start_ms=0, end_ms=1,
               timezone="UTC")
