"""Text on a brand colour and the brand colour as text: chosen by WCAG 2 contrast."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.cfdi import colors

hex_colors = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06X}")


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [("#FFFFFF", "#000000", 21.0), ("#777777", "#FFFFFF", 4.48), ("#1B5FD6", "#FFFFFF", 5.75)],
)
def test_contrast_ratio_matches_the_wcag_formula(first: str, second: str, ratio: float) -> None:
    assert colors.contrast_ratio(first, second) == pytest.approx(ratio, abs=0.01)
    assert colors.contrast_ratio(second, first) == pytest.approx(ratio, abs=0.01)


def test_a_mid_tone_orange_gets_black_text_where_a_brightness_rule_gave_white() -> None:
    # White on #E8590C is 3.6:1, under the 4.5:1 that normal text needs.
    assert colors.text_on("#E8590C") == colors.BLACK
    assert colors.text_on("#1F4E79") == colors.WHITE


@given(hex_colors)
def test_text_on_any_colour_reads(color: str) -> None:
    assert colors.contrast_ratio(colors.text_on(color), color) >= colors.MINIMUM_CONTRAST


@given(hex_colors)
def test_any_colour_as_ink_reads_on_the_page_and_stays_when_it_already_does(color: str) -> None:
    ink = colors.ink_on(color)
    assert colors.contrast_ratio(ink, colors.PAGE_BACKGROUND) >= colors.MINIMUM_CONTRAST
    if colors.contrast_ratio(color, colors.PAGE_BACKGROUND) >= colors.MINIMUM_CONTRAST:
        assert ink == color.upper()
