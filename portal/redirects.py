"""Where a ``next=`` (or a Referer) may send the browser: a path on this site, nothing else.

The check reads the target as a browser would: browsers drop tabs and newlines, treat ``\\`` as
``/``, and a proxy may decode ``%2F``; any of those could turn ``/…`` into ``//evil.example``.
So the target itself must be plain printable ASCII without backslashes, an absolute path with
no scheme or host, and each decoded form of it must still start with exactly one slash.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

MAX_LENGTH = 2000
_IGNORED_BY_BROWSERS = re.compile(r"[\x00-\x20\x7f]")  # stripped or skipped while parsing


def _starts_with_one_slash(target: str) -> bool:
    squeezed = _IGNORED_BY_BROWSERS.sub("", target).replace("\\", "/")
    return squeezed.startswith("/") and not squeezed.startswith("//")


def _plain_path(target: str) -> bool:
    if any(not 0x21 <= ord(char) <= 0x7E or char == "\\" for char in target):
        return False  # whitespace, control characters, backslashes, non-ASCII
    parts = urlsplit(target)
    return target.startswith("/") and not parts.scheme and not parts.netloc


def safe_next(target: str | None, prefix: str = "/") -> str | None:
    """``target`` when it is a path on this site (under ``prefix``), else None."""
    if not target or len(target) > MAX_LENGTH or not _plain_path(target):
        return None
    decoded = target
    for _round in range(3):  # %2F%2F, %252F%252F… must not hide a second slash
        if not _starts_with_one_slash(decoded):
            return None
        decoded = unquote(decoded)
    if not _starts_with_one_slash(decoded):
        return None
    path = urlsplit(target).path
    if prefix != "/" and path != prefix.rstrip("/") and not path.startswith(prefix):
        return None
    return target


def same_site_path(url: str | None, public_base_url: str) -> str | None:
    """The path and query of ``url`` (a Referer) when it points into this site, else None."""
    if not url or len(url) > MAX_LENGTH:
        return None
    parts, base = urlsplit(url), urlsplit(public_base_url)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    return safe_next((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
