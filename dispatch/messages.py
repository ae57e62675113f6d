"""Customer messages: short, plain, specific, in the customer's language (pure).

What we noticed, what we booked, and that they need do nothing. Templates are
Jinja2 with strict variables, one set per language; adding a language means
adding one entry to :data:`TEMPLATES`, :data:`FAULT_WORDS` and :data:`CALENDAR`.
Messages are sent only when a visit is booked, moved or cancelled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

from jinja2 import Environment, StrictUndefined

LANGUAGES: Final = ("sv", "en")
KINDS: Final = ("booked", "changed", "cancelled")

TEMPLATES: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "en": {
        "booked": (
            "A technician is booked for your heat pump",
            "Hi {{ name }},\n\n"
            "Your heat pump has shown signs of {{ fault }}. It still heats your home, "
            "but we want to fix it before it stops.\n\n"
            "{{ technician }} will come on {{ when }}.\n\n"
            "You don't need to do anything. If the time doesn't suit you, just reply "
            "to this message.\n\n{{ sender }}",
        ),
        "changed": (
            "New time for your heat pump visit",
            "Hi {{ name }},\n\n"
            "We have moved the visit for your heat pump ({{ fault }}). "
            "{{ technician }} will now come on {{ when }}.\n\n"
            "You don't need to do anything. If the time doesn't suit you, just reply.\n\n"
            "{{ sender }}",
        ),
        "cancelled": (
            "Your heat pump visit is cancelled",
            "Hi {{ name }},\n\n"
            "The visit on {{ when }} is no longer needed: {{ reason }}.\n\n"
            "You don't need to do anything.\n\n{{ sender }}",
        ),
    },
    "sv": {
        "booked": (
            "En tekniker är bokad till din värmepump",
            "Hej {{ name }}!\n\n"
            "Din värmepump visar tecken på {{ fault }}. Den värmer fortfarande ditt hem, "
            "men vi vill åtgärda felet innan den stannar.\n\n"
            "{{ technician }} kommer {{ when }}.\n\n"
            "Du behöver inte göra något. Passar tiden inte, svara bara på det här "
            "meddelandet.\n\n{{ sender }}",
        ),
        "changed": (
            "Ny tid för besöket till din värmepump",
            "Hej {{ name }}!\n\n"
            "Vi har flyttat besöket till din värmepump ({{ fault }}). "
            "{{ technician }} kommer nu {{ when }}.\n\n"
            "Du behöver inte göra något. Passar tiden inte, svara bara.\n\n{{ sender }}",
        ),
        "cancelled": (
            "Besöket till din värmepump är avbokat",
            "Hej {{ name }}!\n\n"
            "Besöket {{ when }} behövs inte längre: {{ reason }}.\n\n"
            "Du behöver inte göra något.\n\n{{ sender }}",
        ),
    },
}

FAULT_WORDS: Final[dict[str, dict[str, str]]] = {
    "en": {"refrigerant_leak": "a slow refrigerant leak", "compressor_wear": "a worn compressor",
           "fan_degradation": "a weakening outdoor fan", "low_flow": "low water flow",
           "expansion_valve": "a sticking expansion valve",
           "defrost_malfunction": "a defrost problem", "electronic": "an electronics fault",
           "unknown": "a developing fault"},
    "sv": {"refrigerant_leak": "ett långsamt köldmedieläckage",
           "compressor_wear": "en sliten kompressor", "fan_degradation": "en försvagad utefläkt",
           "low_flow": "för lågt vattenflöde", "expansion_valve": "en kärvande expansionsventil",
           "defrost_malfunction": "ett avfrostningsfel", "electronic": "ett elektronikfel",
           "unknown": "ett begynnande fel"},
}

#: why a visit is cancelled, in the customer's words
REASONS: Final[dict[str, dict[str, str]]] = {
    "en": {"cleared": "your heat pump is working normally again",
           "planner": "our planner has rearranged the visit"},
    "sv": {"cleared": "din värmepump fungerar normalt igen",
           "planner": "vår planerare har ändrat besöket"},
}

CALENDAR: Final[dict[str, dict[str, object]]] = {
    "en": {"days": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                    "Sunday"),
           "months": ("January", "February", "March", "April", "May", "June", "July",
                      "August", "September", "October", "November", "December"),
           "pattern": "{day} {date} {month} between {start} and {end}", "sender": "Forewarn"},
    "sv": {"days": ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
           "months": ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
                      "september", "oktober", "november", "december"),
           "pattern": "{day} den {date} {month} mellan kl. {start} och {end}",
           "sender": "Forewarn"},
}

_ENV = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


@dataclass(frozen=True)
class Message:
    language: str
    kind: str
    subject: str
    body: str


def language_of(preferred: str | None, default: str) -> str:
    """The customer's language if we speak it, else the default."""
    return preferred if preferred in LANGUAGES else default


def window_text(start_ms: int, end_ms: int, language: str, timezone: str) -> str:
    """``tisdag den 20 januari mellan kl. 10:00 och 12:00`` in the site's time zone."""
    cal = CALENDAR[language]
    tz = ZoneInfo(timezone)
    s = dt.datetime.fromtimestamp(start_ms / 1000, tz)
    e = dt.datetime.fromtimestamp(end_ms / 1000, tz)
    days, months = cal["days"], cal["months"]
    assert isinstance(days, tuple) and isinstance(months, tuple)
    return str(cal["pattern"]).format(day=days[s.weekday()], date=s.day,
                                      month=months[s.month - 1], start=s.strftime("%H:%M"),
                                      end=e.strftime("%H:%M"))


def render(kind: str, language: str, *, name: str, fault: str, technician: str,
           start_ms: int, end_ms: int, timezone: str, reason: str = "") -> Message:
    """The ``kind`` message in ``language`` (one of :data:`LANGUAGES`); ``reason`` is a key
    of :data:`REASONS` (or plain text)."""
    if language not in TEMPLATES or kind not in TEMPLATES[language]:
        raise ValueError(f"no {kind!r} template in {language!r}: languages are {LANGUAGES}, "
                         f"kinds {KINDS}")
    subject, body = TEMPLATES[language][kind]
    words = FAULT_WORDS[language]
    values = {"name": name, "fault": words.get(fault, words["unknown"]),
              "technician": technician, "reason": REASONS[language].get(reason, reason),
              "when": window_text(start_ms, end_ms, language, timezone),
              "sender": CALENDAR[language]["sender"]}
    return Message(language, kind, _ENV.from_string(subject).render(values),
                   _ENV.from_string(body).render(values))
