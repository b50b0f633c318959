"""Every dashboard and self-invoice page at 360, 768 and 1280 px: nothing wider than the screen,
nothing cut off, and text that ellipsizes carries its full value as a tooltip.

Tables scroll inside their own container; the organization's tab bar wraps or scrolls. Set
``LAYOUT_SCREENSHOTS=1`` to keep a screenshot of every page at every width in test-artifacts/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.browser import ARTIFACTS
from tests.fixtures.site import open_html, page_urls

pytestmark = pytest.mark.e2e

WIDTHS = (360, 768, 1280)
CLIPPED = (Path(__file__).parent / "clipped.js").read_text(encoding="utf-8")
# What scrolls sideways at this width must scroll with the keyboard too (axe's rule for it).
SCROLLABLE_REACHED = """async () => {
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  const result = await axe.run(document, {runOnly: ["scrollable-region-focusable"]});
  return result.violations.flatMap(v => v.nodes.map(n =>
    "scrolls sideways but the keyboard cannot reach it: " + n.target.join(" ")));
}"""


def _shot(page: Any, label: str, width: int) -> None:
    folder = ARTIFACTS / "layout"
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", label)[:80]
    page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("page", ["desktop"], indirect=True)
def test_nothing_is_clipped_at_phone_tablet_and_desktop_widths(
    page, app, seeded_site, axe_script
) -> None:
    page.context.add_init_script(script=axe_script)
    keep = os.environ.get("LAYOUT_SCREENSHOTS") == "1"
    problems: dict[str, list[str]] = {}
    for visit in page_urls(app, seeded_site):
        if not open_html(page, visit):
            continue
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            found = page.evaluate(SCROLLABLE_REACHED) + page.evaluate(CLIPPED, width >= 768)
            if found:
                problems[f"{visit.label} {visit.url} at {width} px"] = found
                _shot(page, visit.label, width)
            elif keep:
                _shot(page, visit.label, width)
        page.set_viewport_size({"width": 1280, "height": 900})
    report = "\n".join(
        f"{where}:\n" + "\n".join(f"    {line}" for line in lines[:10])
        for where, lines in problems.items()
    )
    assert not problems, "clipped or overflowing at some width:\n" + report
