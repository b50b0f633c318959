"""axe-core over every dashboard and self-invoice page, and over the forms' error states.

No page may have a ``serious`` or ``critical`` violation. The pages come from the app's url_map
(tests/fixtures/site.py), so a page added later is checked without touching this test.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.site import Visit, open_html, page_urls, takes_post

pytestmark = pytest.mark.e2e

# Every rule axe has (WCAG 2.x A and AA, and its best practices); serious and critical ones fail.
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "),
                                          summary: n.failureSummary}))}));
}"""
# The page's main form, emptied and sent without the browser's own checks: the server's errors.
SUBMIT_EMPTY = """([selector, submit]) => {
  const texty = "input:not([type]), input[type=text], input[type=email], input[type=number], "
    + "input[type=tel], input[type=url], input[type=date], input[type=search], textarea";
  const forms = [...document.querySelectorAll(selector)].filter(f =>
    f.method === "post" && [...f.querySelectorAll(texty)].some(i => i.offsetParent !== null));
  if (!forms.length || !submit) return forms.length > 0;
  const form = forms[0];
  form.noValidate = true;
  form.querySelectorAll(texty).forEach(i => { if (!i.readOnly) i.value = ""; });
  form.requestSubmit();
  return true;
}"""


# Field errors that no control points at (aria-describedby): a screen reader never reads them.
LOOSE_ERRORS = """() => {
  const described = new Set();
  for (const el of document.querySelectorAll("[aria-describedby], [aria-errormessage]")) {
    const ids = (el.getAttribute("aria-describedby") || "") + " "
      + (el.getAttribute("aria-errormessage") || "");
    ids.split(/\\s+/).forEach(id => described.add(id));
  }
  const loose = [];
  for (const error of document.querySelectorAll("main .field .error")) {
    let node = error, found = false;
    for (; node && !found; node = node.parentElement) {
      found = Boolean(node.id) && described.has(node.id);
      if (node.classList.contains("field")) break;
    }
    if (!found) loose.push(error.outerHTML.slice(0, 160));
  }
  return loose;
}"""


def _axe(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(AXE_RUN)


def _report(found: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for where, violations in found.items():
        lines.append(f"{where}:")
        for violation in violations:
            lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']}")
            for node in violation["nodes"][:8]:
                summary = " ".join((node["summary"] or "").split())[:220]
                lines.append(f"      {node['target']}  — {summary}")
    return "\n".join(lines)


def _submit_empty(page: Any, selector: str) -> bool:
    """Send the first form ``selector`` finds, emptied; False when the page has no such form."""
    if not page.evaluate(SUBMIT_EMPTY, [selector, False]):
        return False
    with page.expect_navigation():
        page.evaluate(SUBMIT_EMPTY, [selector, True])
    return True


@pytest.mark.parametrize("page", ["desktop"], indirect=True)
def test_no_serious_violation_on_any_page(page, app, seeded_site, axe_script) -> None:
    page.context.add_init_script(script=axe_script)
    found: dict[str, list[dict[str, Any]]] = {}
    unlinked: dict[str, list[str]] = {}
    walked: list[str] = []
    forms: list[tuple[Visit, str]] = []
    refused = 0
    for visit in page_urls(app, seeded_site):
        if not open_html(page, visit):
            continue
        walked.append(visit.url)
        if violations := _axe(page):
            found[f"{visit.label} {visit.url}"] = violations
        if takes_post(app, visit.url):
            forms.append((visit, "main form"))
    for visit, selector in forms + seeded_site.forms:
        page.goto(visit.url)
        if not _submit_empty(page, selector):
            continue
        refused += page.locator("main .error, main [aria-invalid='true']").count() > 0
        if violations := _axe(page):
            found[f"{visit.label} {visit.url} (form errors)"] = violations
        if loose := page.evaluate(LOOSE_ERRORS):
            unlinked[f"{visit.label} {visit.url}"] = loose
    assert len(walked) > 40, walked  # the walk reached the pages, not sign-in redirects
    assert refused >= 12, refused  # and the emptied forms came back with their errors
    assert not found, "axe found serious or critical violations:\n" + _report(found)
    assert not unlinked, f"field errors no control describes (aria-describedby): {unlinked}"
