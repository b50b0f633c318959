"""Rendering: our Jinja templates laid out by WeasyPrint into PDF bytes."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import weasyprint
import weasyprint.text.fonts
import weasyprint.urls
from satcfdi.cfdi import CFDI

from portal.cfdi.pdf.branding import Branding, sanitize_custom_section
from portal.cfdi.pdf.context import (
    PdfExtra,
    cancellation_context,
    invoice_context,
    receipt_context,
)
from portal.cfdi.pdf.formatting import breakable, money, plain_number, when

if TYPE_CHECKING:
    import pydyf

TEMPLATES = Path(__file__).with_name("templates")
TEST_WATERMARK = "DOCUMENTO DE PRUEBA — SIN VALIDEZ FISCAL"


@cache
def _environment() -> jinja2.Environment:
    """The Jinja environment of our PDF templates (autoescaped)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=money, when=when, breakable=breakable, number=plain_number)
    return env


@cache
def _stylesheet(name: str) -> weasyprint.CSS:
    """A template stylesheet, parsed once per process."""
    return weasyprint.CSS(
        string=(TEMPLATES / name).read_text("utf-8"),
        font_config=_fonts(),
        url_fetcher=_data_only_fetcher(),
    )


@cache
def _fonts() -> weasyprint.text.fonts.FontConfiguration:
    """One font configuration shared by every render."""
    return weasyprint.text.fonts.FontConfiguration()


@cache
def _data_only_fetcher() -> weasyprint.urls.URLFetcher:
    """A fetcher for ``data:`` URIs only: documents never reach the network or the disk."""
    return weasyprint.urls.URLFetcher(allowed_protocols={"data"})


class _HTML(weasyprint.HTML):
    """A WeasyPrint document styled with our short user-agent stylesheet."""

    def _ua_stylesheets(self, forms: bool = False) -> list[weasyprint.CSS]:
        # A private hook (WeasyPrint's own tests override it too): were it renamed, the stock
        # sheet would apply again, slower but with the same look.
        return [_stylesheet("ua.css")]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Cyclic garbage collection paused while WeasyPrint builds its trees of boxes."""
    # Those millions of long-lived objects made every full collection walk them all: a quarter
    # of a 1,000-concept render. They are freed by reference counting once the PDF is written.
    if not gc.isenabled():  # paused by another render in progress (threads)
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def render_html(template: str, **context: Any) -> str:
    """The HTML of one of our templates."""
    return _environment().get_template(template).render(watermark=TEST_WATERMARK, **context)


def _document(html: str, css: str) -> weasyprint.Document:
    """Lay out ``html`` with the shared stylesheet and the one of its kind."""
    return _HTML(string=html, url_fetcher=_data_only_fetcher()).render(
        stylesheets=[_stylesheet("base.css"), _stylesheet(css)], font_config=_fonts()
    )


def html_to_pdf(html: str, css: str) -> bytes:
    """PDF bytes of ``html`` laid out with stylesheet ``css`` (plus ``base.css``)."""
    with _gc_paused():
        return _document(html, css).write_pdf()


def _base_context(branding: Branding | None, test_mode: bool) -> dict[str, Any]:
    """Branding and mode, common to every template."""
    branding = branding or Branding()
    return {
        "brand": branding,
        "color": branding.css_color,
        "logo": branding.logo_uri,
        "on_color": branding.css_text_on_color,
        "ink": branding.css_ink,
        "test_mode": test_mode,
    }


def invoice_html(
    xml: bytes | str | CFDI,
    branding: Branding | None = None,
    *,
    pdf_extra: PdfExtra | Mapping[str, Any] | None = None,
    custom_section: str | None = None,
    test_mode: bool = False,
    canceled_on: str | None = None,
) -> str:
    """The invoice's HTML (what ``render_invoice`` turns into a PDF); ``canceled_on`` (when it
    was cancelled, as it should read) stamps it CANCELADA."""
    cfdi = xml if isinstance(xml, CFDI) else CFDI.from_string(_as_bytes(xml))
    return render_html(
        "invoice.html",
        doc=invoice_context(cfdi, pdf_extra),
        custom_section=sanitize_custom_section(custom_section),
        canceled_on=canceled_on,
        **_base_context(branding, test_mode),
    )


def render_invoice(
    xml: bytes | str | CFDI, branding: Branding | None = None, **options: Any
) -> bytes:
    """The PDF of a stamped CFDI 4.0 (invoice, credit note, payment receipt...); ``options``
    are ``invoice_html``'s (a cancelled one carries a CANCELADA mark with ``canceled_on``)."""
    return html_to_pdf(invoice_html(xml, branding, **options), "invoice.css")


def _as_bytes(xml: bytes | str) -> bytes:
    """XML text as bytes."""
    return xml.encode("utf-8") if isinstance(xml, str) else xml


def _content_height_mm(document: weasyprint.Document) -> float:
    """Height in mm of the content laid out on the first page."""
    box = document.pages[0]._page_box.children[0]  # the <html> box: no public API for it
    return box.margin_height() * 25.4 / 96


def _keep_top(height_mm: float) -> Callable[[weasyprint.Document, pydyf.PDF], None]:
    """A ``write_pdf`` finisher cutting every page to its top ``height_mm``."""

    def finish(document: weasyprint.Document, pdf: pydyf.PDF) -> None:
        for number in pdf.pages["Kids"][::3]:  # references: number, generation, "R"
            for box in ("MediaBox", "TrimBox", "BleedBox"):  # [left, bottom, right, top] in pt
                rectangle = pdf.objects[number][box]
                rectangle[1] = rectangle[3] - height_mm * 72 / 25.4

    return finish


def render_receipt(
    receipt: Mapping[str, Any], branding: Branding | None = None, *, test_mode: bool = False
) -> bytes:
    """An 80 mm receipt ticket, as long as its content, with the QR of its self-invoice URL."""
    context = {"receipt": receipt_context(receipt), **_base_context(branding, test_mode)}
    with _gc_paused():
        # Laid out once on a 1 m page, then cut below the content.
        document = _document(render_html("receipt.html", paged=False, **context), "receipt.css")
        if len(document.pages) > 1:  # longer than a metre: 1 m pages, a watermark on each
            return html_to_pdf(render_html("receipt.html", paged=True, **context), "receipt.css")
        height = _content_height_mm(document) + 12  # + page margins and a little air
        return document.write_pdf(finisher=_keep_top(round(height, 1)))


def render_cancellation(
    ack: Mapping[str, Any], branding: Branding | None = None, *, test_mode: bool = False
) -> bytes:
    """The acknowledgment (acuse) of a CFDI cancellation."""
    html = render_html(
        "cancellation.html",
        ack=cancellation_context(ack, test_mode),
        **_base_context(branding, test_mode),
    )
    return html_to_pdf(html, "cancellation.css")


def warm_up() -> None:
    """Load fonts, stylesheets, templates and image code now rather than on the first request."""
    _environment().get_template("invoice.html")
    render_receipt({"total": 1, "payment_form": "01", "self_invoice_url": "https://a.mx/r"})
    render_cancellation({"uuid": "-", "seal": "-"}, test_mode=True)
    html_to_pdf('<p><b>.</b><span class="mono">.</span></p>', "invoice.css")
