"""Downloads, written one way for the API, the dashboard and the self-invoice portal.

``Content-Disposition`` follows RFC 6266, as Werkzeug's ``send_file`` writes it for
``download_name``: a stored value (a series, a folio, an attachment's name) can never break the
header or point outside the download folder."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Response

from portal.models.invoices import Invoice
from portal.models.organizations import Organization
from portal.services import invoice_files

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


def invoice_file(invoice: Invoice, organization: Organization, kind: str) -> Response:
    """The invoice's stamped XML, its PDF, or both in a ZIP."""
    render = {
        "xml": lambda: invoice_files.xml_of(invoice),
        "pdf": lambda: invoice_files.pdf_of(invoice, organization),
        "zip": lambda: invoice_files.zip_of(invoice, organization),
    }
    return file_download(render[kind](), invoice_files.filename(invoice, kind), kind)


def cancellation_receipt(invoice: Invoice, organization: Organization, kind: str) -> Response:
    """The cancellation receipt (acuse) as XML or PDF."""
    if kind == "xml":
        data = invoice_files.cancellation_xml(invoice)
    else:
        data = invoice_files.cancellation_pdf(invoice, organization)
    return file_download(data, f"acuse_{invoice.uuid}.{kind}", kind)
