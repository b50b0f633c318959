"""``Content-Disposition`` written one way for every download (RFC 6266, as Werkzeug's
``send_file`` writes it for ``download_name``): a stored value (a series, a folio, an
attachment's name) can never break the header or point outside the download folder."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Response

UNSAFE = frozenset('"\\/|<>:*?;')
MIME = {"pdf": "application/pdf", "xml": "application/xml", "zip": "application/zip"}


def safe_file_name(name: str, fallback: str = "descarga") -> str:
    """``name`` with control characters, quotes and path separators replaced by ``_``."""
    cleaned = "".join(
        "_" if char in UNSAFE or unicodedata.category(char)[0] in "CZ" and char != " " else char
        for char in name
    ).strip(" .")
    while ".." in cleaned:
        cleaned = cleaned.replace("..", ".")
    return cleaned or fallback


def set_disposition(response: Response, name: str, *, inline: bool = False) -> Response:
    """Set the download header: ``filename`` in ASCII, plus ``filename*`` (UTF-8) when the
    name has other characters."""
    name = safe_file_name(name)
    try:
        name.encode("ascii")
        names = {"filename": name}
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        quoted = quote(name, safe="!#$&+-.^_`|~")
        names = {"filename": safe_file_name(simple), "filename*": f"UTF-8''{quoted}"}
    response.headers.set("Content-Disposition", "inline" if inline else "attachment", **names)
    return response


def file_download(data: bytes, name: str, kind: str, *, inline: bool = False) -> Response:
    """``data`` as a download named ``name``, of type ``kind`` (pdf, xml or zip)."""
    return set_disposition(Response(data, mimetype=MIME[kind]), name, inline=inline)
