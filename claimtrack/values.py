"""Parsing and validation of user-supplied values, shared by the CLI, the services and the
import so that a grade, a stance or a date means the same thing everywhere."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta

from .errors import InvalidValue
from .vocabulary import (
    CONFIDENCES,
    CREDIBILITY_GRADES,
    LINK_RELATIONS,
    RELIABILITY_GRADES,
    STANCES,
    VERDICTS,
)

KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def one_of(value: str, allowed: tuple[str, ...], *, field: str) -> str:
    """`value`, if it is one of `allowed` as written (a mode, a format, a sort order)."""
    if value not in allowed:
        raise InvalidValue(field, value, "one of " + ", ".join(allowed))
    return value


def reliability(value: str | None, *, field: str = "reliability") -> str:
    text = (value or "").strip().upper()
    if len(text) != 1 or text not in RELIABILITY_GRADES:
        raise InvalidValue(field, value, "a reliability grade A-F (F: cannot be judged)")
    return text


def credibility(value: object, *, field: str = "credibility") -> int:
    try:
        grade = int(str(value).strip())
    except (TypeError, ValueError):
        grade = 0
    if grade not in CREDIBILITY_GRADES or isinstance(value, bool):
        raise InvalidValue(field, value, "a credibility grade 1-6 (6: cannot be judged)")
    return grade


def stance(value: str | None, *, field: str = "stance") -> str:
    text = (value or "").strip().lower()
    if text not in STANCES:
        raise InvalidValue(field, value, "one of " + ", ".join(STANCES))
    return text


def verdict(value: str | None, *, field: str = "verdict") -> str | None:
    text = (value or "").strip().lower()
    if text in ("none", ""):
        return None
    if text not in VERDICTS:
        raise InvalidValue(field, value, "confirmed, debunked or none")
    return text


def confidence(value: str | None, *, field: str = "confidence") -> str | None:
    if value is None or value.strip() == "":
        return None
    text = value.strip().lower()
    if text not in CONFIDENCES:
        raise InvalidValue(field, value, "low, moderate or high")
    return text


def entity(value: str | None, *, field: str = "entity") -> str:
    """What an alias names: a claim or a source."""
    if value not in ("claim", "source"):
        raise InvalidValue(field, value, "claim or source")
    return value


def relation(value: str | None, *, field: str = "relation") -> str:
    text = (value or "").strip().lower()
    if text not in LINK_RELATIONS:
        raise InvalidValue(field, value, "supports or contradicts")
    return text


def partial_date(value: str | None, *, field: str = "date") -> tuple[str, str] | None:
    """'2018' / '2018-06' / '2018-06-14' -> (normalised text, precision); None for empty."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    match = _PARTIAL_DATE.match(text)
    expected = "a date as YYYY, YYYY-MM or YYYY-MM-DD"
    if not match:
        raise InvalidValue(field, value, expected)
    year, month, day = match.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise InvalidValue(field, value, expected) from None
    precision = "day" if day else "month" if month else "year"
    return text, precision


def full_date(value: str | None, *, field: str = "date") -> str | None:
    """A complete calendar date (YYYY-MM-DD), or None."""
    parsed = partial_date(value, field=field)
    if parsed is None:
        return None
    if parsed[1] != "day":
        raise InvalidValue(field, value, "a full date as YYYY-MM-DD")
    return parsed[0]


def as_of(value: str | None, *, field: str = "as_of") -> datetime | None:
    """A moment for --as-of/--since: a date means the end of that day (UTC)."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(
            field, value, "a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM[:SS][+00:00])"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise InvalidValue(field, value, "a moment between the years 1 and 9999 (UTC)") from None


def reported_by(value: str | None, *, field: str = "reported_by") -> str | None:
    """The last day a --reported-by DATE covers, as YYYY-MM-DD: a year or a month means its
    last day (2018-07 → 2018-07-31)."""
    if value is None or str(value).strip() == "":
        return None
    parsed = partial_date(str(value), field=field)
    if parsed is None:
        return None
    text, precision = parsed
    if precision == "year":
        return f"{text}-12-31"
    if precision == "month":
        year, month = int(text[:4]), int(text[5:7])
        following = date(year + month // 12, month % 12 + 1, 1)
        return (following - timedelta(days=1)).isoformat()
    return text


def recorded_by_end_of(day: str) -> datetime:
    """The first moment after DAY (YYYY-MM-DD, UTC): an item recorded before it was recorded
    by DAY (--reported-by, for an item with no observed date)."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1)


def key(value: str | None, *, field: str = "key") -> str:
    text = (value or "").strip()
    if not KEY_PATTERN.match(text):
        raise InvalidValue(
            field,
            value,
            "a key of letters, digits and . _ : - (starting with a letter or digit, at most 200)",
        )
    return text


# Lengths of the bounded text columns (models.py): checked here so that whatever SQLite stores
# (it does not enforce VARCHAR lengths) PostgreSQL accepts too.
MAX_KIND = 50
MAX_ACTOR = 200


def kind(value: str | None, *, field: str = "kind") -> str | None:
    """A source's kind (outlet, informant, ...): free text of at most 50 characters."""
    text = optional_text(value, field=field)
    if text is not None and len(text) > MAX_KIND:
        raise InvalidValue(field, value, f"a kind of at most {MAX_KIND} characters")
    return text


def actor(value: str, *, field: str = "actor") -> str:
    """Who history records: at most 200 characters of UTF-8 text."""
    text = " ".join(str(value).split())
    if not text or len(text) > MAX_ACTOR:
        raise InvalidValue(
            field,
            value,
            f"a name of 1 to {MAX_ACTOR} characters ({{field:actor}} or CLAIMTRACK_ACTOR)",
        )
    _check_storable(text, field)
    return text


def evidence_key(value: str | None, *, field: str = "key") -> str:
    """An evidence item's key: never only digits, which name an evidence id (`evidence
    remove 10` is item 10; a key `10`, `007` or `2024` would be ambiguous)."""
    text = key(value, field=field)
    if text.isdigit():
        raise InvalidValue(
            field,
            value,
            f"an evidence key that is not only digits (digits name an evidence id); e.g. e{text}",
        )
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_storable(text: str, field: str) -> None:
    if "\x00" in text:
        raise InvalidValue(field, "<text with a NUL byte>", "text without NUL bytes")
    if not text.isascii() and _SURROGATE.search(text):
        # A lone surrogate (JSON "\ud800") or a byte that was not UTF-8 in an argument: it
        # cannot be stored or printed as UTF-8.
        raise InvalidValue(
            field,
            "<text with a lone surrogate or a non-UTF-8 byte>",
            "valid UTF-8 text (re-save the file or argument as UTF-8)",
        )


def required_text(value: str | None, *, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidValue(field, value, "a non-empty text")
    _check_storable(text, field)
    return text


def optional_text(value: str | None, *, field: str) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    _check_storable(text, field)
    return text or None


def tag(value: str, *, field: str = "tag") -> str:
    text = " ".join((value or "").split()).lower()
    if not text or len(text) > 200:
        raise InvalidValue(field, value, "a non-empty tag of at most 200 characters")
    _check_storable(text, field)
    return text


def slugify(text: str, *, max_length: int = 40) -> str:
    """A readable key fragment from free text: 'Daily NK' -> 'daily-nk'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:max_length].rstrip("-")
    return slug
