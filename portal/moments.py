"""A moment as people read it: in a time zone, the zone named by its city.

Plain functions of the moment, the zone and the language, so that emails (written by services
and jobs, without Flask) and pages (``portal.formatting``) say times the same way.
"""

from __future__ import annotations

import functools
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, get_timezone_location


@functools.lru_cache(maxsize=512)  # babel looks the city up anew each time: pages name it often
def zone_name(zone: ZoneInfo, locale: str) -> str:
    """A zone's city in the language: "Ciudad de México", "Tijuana", "UTC"."""
    return get_timezone_location(zone, locale=locale, return_city=True)


def named_time(moment: datetime, zone: ZoneInfo, locale: str, seconds: bool = False) -> str:
    """ "5 dic 2026 10:32 (Ciudad de México)": the moment in ``zone``, the zone named."""
    pattern = "d MMM y HH:mm:ss" if seconds else "d MMM y HH:mm"
    text = format_datetime(moment, pattern, tzinfo=zone, locale=locale)
    return f"{text} ({zone_name(zone, locale)})"
