"""Every operation of Facturapi's API reference is routed under /v2, unless the README lists it
with its reason in "Differences from Facturapi" (issue 19, "Done when").

The operations are read from the reference itself when it is beside the clone (CI has
``../shared``): one per ``Authorizations:`` block, its method and path from the block's cURL
sample; the list in ``tests/fixtures/reference_operations.txt`` (copied from it, with the
operations whose sample is a JSON payload read by hand) must agree with it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from werkzeug.exceptions import HTTPException

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT.parent / "shared" / "reference" / "facturapi-api-v2-reference.txt"
FIXTURE = ROOT / "tests" / "fixtures" / "reference_operations.txt"
OPERATION = re.compile(r"(GET|POST|PUT|DELETE) (/v2/\S*)")


def _listed() -> list[tuple[str, str]]:
    rows = [line for line in FIXTURE.read_text().splitlines() if line and line[0] != "#"]
    return [tuple(row.split("\t")[0].split(" ")) for row in rows]  # type: ignore[misc]


def _curl_operation(block: str) -> tuple[str, str] | None:
    """Method and path of a block's first cURL sample (``-X``; else ``-G``/data decide)."""
    match = re.search(r"curl (.*?)(?=curl |#|$)", block, re.S)
    if match is None:
        return None
    command = match.group(1)
    url = re.search(r"https://www\.facturapi\.io(/v2/[^\s\"'?]*)", command)
    assert url is not None, command
    method = re.search(r"-X (GET|POST|PUT|DELETE)", command)
    if method:
        verb = method.group(1)
    elif " -G" in command or not re.search(r" (-d|-F|--data)\b", command):
        verb = "GET"
    else:
        verb = "POST"
    return verb, url.group(1)


def _same_shape(sample: str, listed: str) -> bool:
    """The sample's path, with its ids, fits the listed one with its ``{placeholders}``."""
    pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(listed))
    return re.fullmatch(pattern, sample) is not None


def _differences() -> dict[tuple[str, str], str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Differences from Facturapi", 1)[1].split("\n## ", 1)[0]
    found = {}
    for line in section.splitlines():
        match = re.match(r"- `(GET|POST|PUT|DELETE) (/v2/\S+)` — (.+)", line)
        if match:
            found[(match.group(1), match.group(2))] = match.group(3)
    return found


@pytest.mark.skipif(not REFERENCE.exists(), reason="the reference is not beside the clone")
def test_the_fixture_is_the_references_list_of_operations() -> None:
    text = REFERENCE.read_text()
    blocks = re.split(r"^Authorizations:$", text, flags=re.M)[1:]
    listed = _listed()
    assert len(blocks) == len(listed) == 67
    checked = 0
    for block, (method, path) in zip(blocks, listed, strict=True):
        sample = _curl_operation(block.split("Request samples", 1)[-1].split("Authorizations:")[0])
        if sample is not None:
            assert sample[0] == method and _same_shape(sample[1], path), (sample, method, path)
            checked += 1
    assert checked >= 40  # most operations have a cURL sample


def test_every_reference_operation_is_routed_or_a_listed_difference(app: Any) -> None:
    differences = _differences()
    adapter = app.url_map.bind("localhost")
    missing = []
    for method, path in _listed():
        concrete = re.sub(r"\{\w+\}", "5a2a307be93a2f00129ea035", path)
        try:
            endpoint, _args = adapter.match(concrete, method=method)
        except HTTPException:
            endpoint = None
        routed = endpoint is not None and endpoint.startswith("api.")
        if not routed and (method, path) not in differences:
            missing.append(f"{method} {path}")
        if routed:  # a difference that is now routed must leave the README
            assert (method, path) not in differences, f"{method} {path} is routed now"
    assert not missing, f"not routed and not in the README's differences: {missing}"


def test_the_readme_lists_only_reference_operations_with_a_reason() -> None:
    differences = _differences()
    listed = set(_listed())
    for operation, reason in differences.items():
        assert operation in listed, operation
        assert len(reason) > 3
