"""Publication dates given by JSON records: ISO, numeric (27/02/2026, 02/27/2026, 27.02.2026, 2026/02/27), written
('27 February 2026') or epoch seconds; day-first or month-first is a setting. A date that is given but cannot be
read is reported (a warning row), never silently dropped."""

from __future__ import annotations

import datetime as dt
import functools
import re
import time

from oped_extract.ingest.layout import find_date, parse_date
from oped_extract.settings import DATE_ORDERS

__all__ = ["DATE_ORDERS", "implausible", "read_date"]

# Publication dates outside these years are sentinels (0001-01-01, 9999-12-31) or typos, not dates.
MIN_YEAR = 1000
_NUMERIC = re.compile(r"^(\d{1,4})\s*([./-])\s*(\d{1,2})\s*\2\s*(\d{1,4})(?:(?:[T\s,]|$).*)?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_EPOCH = re.compile(r"^-?\d{9,13}(?:\.\d+)?$")


def read_date(value: object, order: str = "DMY") -> tuple[dt.date | None, str | None]:
    """(date, None) when `value` reads as a plausible date; (None, why) when a value was given but cannot be
    read; (None, None) when there is no value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None, f"published_date {_show(value)} is not a date (give a string such as 2026-02-27)"
    date = _epoch(value) if isinstance(value, (int, float)) else _from_text(value.strip(), order)
    if date is None:
        return None, f"published_date {_show(value)} could not be read as a date; left empty"
    problem = implausible(date)
    return (None, f"published_date {_show(value)}: {problem}") if problem else (date, None)


def implausible(date: dt.date) -> str | None:
    """Why `date` cannot be a publication date (a year below 1000, or after next year), or None."""
    if date.year < MIN_YEAR or date.year > _max_year():
        return f"{date.isoformat()} is not a plausible publication date (year {date.year}); left empty"
    return None


@functools.lru_cache(maxsize=1)
def _max_year_on(day: int) -> int:
    return dt.date.today().year + 1


def _max_year() -> int:
    return _max_year_on(int(time.time() // 86400))  # today's date, looked up once a day


def _from_text(text: str, order: str) -> dt.date | None:
    iso = _ISO.match(text)
    if iso:
        return _date(int(iso[1]), int(iso[2]), int(iso[3]))
    if _EPOCH.match(text):
        return _epoch(float(text))
    numeric = _NUMERIC.match(text)
    if numeric:
        return _numeric(numeric, order)
    return parse_date(text) or find_date(text) or _dateparser(text, order)


def _numeric(m: re.Match, order: str) -> dt.date | None:
    a, b, c = m.group(1), m.group(3), m.group(4)
    if len(a) == 4:  # 2026/02/27: year first is never ambiguous
        return _date(int(a), int(b), int(c))
    if len(c) != 4:
        return None  # two-digit years: too ambiguous to guess
    first, second = int(a), int(b)
    day_first = order == "DMY"
    if first > 12 >= second:
        day_first = True
    elif second > 12 >= first:
        day_first = False
    return _date(int(c), second, first) if day_first else _date(int(c), first, second)


def _epoch(value: float) -> dt.date | None:
    if not 1e8 <= abs(value) < 1e14:  # 9 to 13 digits: seconds or milliseconds; a bare 2026 is not a date
        return None
    seconds = value / 1000 if abs(value) >= 1e11 else value  # 13 digits: milliseconds
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC).date()
    except (OverflowError, OSError, ValueError):
        return None


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _dateparser(text: str, order: str) -> dt.date | None:
    if len(text) > 100 or not re.search(r"\d", text):
        return None
    parsed = _parser(order).get_date_data(text).date_obj
    return parsed.date() if parsed else None


@functools.lru_cache(maxsize=2)
def _parser(order: str):
    from dateparser.date import DateDataParser  # imported here: only unusual dates need it

    # Absolute dates only ("yesterday" would depend on when the run happens), all three parts required.
    return DateDataParser(languages=["en"], settings={
        "DATE_ORDER": order, "PARSERS": ["timestamp", "absolute-time"], "REQUIRE_PARTS": ["day", "month", "year"],
        "RETURN_AS_TIMEZONE_AWARE": False,
    })


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
