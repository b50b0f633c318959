"""Text colours for a brand colour, chosen by WCAG 2 contrast (not by a brightness guess).

An organization picks any colour; its pages and documents put text on it (white or black,
whichever contrasts more) and use it for links on a light page (darkened until it reads).
"""

from __future__ import annotations

from functools import lru_cache

# WCAG 2 AA for normal text.
MINIMUM_CONTRAST = 4.5
WHITE, BLACK = "#FFFFFF", "#000000"
# The lightest background the brand colour is used on as text (the pages' grey, not white).
PAGE_BACKGROUND = "#F4F6F9"


def _rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    red, green, blue = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return red, green, blue


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(color: str) -> float:
    """WCAG 2 relative luminance of ``#RRGGBB`` (0 for black, 1 for white)."""
    red, green, blue = (_linear(c) for c in _rgb(color))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two ``#RRGGBB`` colours (1 to 21)."""
    darker, lighter = sorted((relative_luminance(first), relative_luminance(second)))
    return (lighter + 0.05) / (darker + 0.05)


@lru_cache(maxsize=256)  # an organization's colour, on each of its page views
def text_on(background: str) -> str:
    """White or black, whichever has the higher contrast on ``background`` (always ≥ 4.5)."""
    on_white = contrast_ratio(WHITE, background)
    return WHITE if on_white >= contrast_ratio(BLACK, background) else BLACK


@lru_cache(maxsize=256)
def ink_on(color: str, background: str = PAGE_BACKGROUND) -> str:
    """``color`` for text on ``background``: itself when it reads, else darkened until it does."""
    red, green, blue = _rgb(color)
    for step in range(101):
        scale = 1 - step / 100
        shade = "#" + "".join(f"{round(c * scale):02X}" for c in (red, green, blue))
        if contrast_ratio(shade, background) >= MINIMUM_CONTRAST:
            return shade
    return BLACK
