"""Printed representations: CFDI 4.0 invoice PDF, receipt ticket and cancellation acknowledgment.

Our own Jinja templates rendered by WeasyPrint (satcfdi's stock templates take ~1.4 s). The
stamped XML is the only source of an invoice's data; branding and options only change the look.
Speed comes from a fixed table layout, a short user-agent stylesheet, seals cut into lines
that need no line breaking, concept rows without collapsed borders or whitespace nodes, the
cyclic GC paused while WeasyPrint builds its boxes, stylesheets parsed once per process, logos
scaled once to print size, and a font that is installed (DejaVu Sans).

The package: ``words`` (amounts in words), ``branding`` (colour, logo, custom section),
``formatting`` (how values print), ``context`` (what the templates print) and ``render``
(templates to PDF bytes).
"""

from portal.cfdi.pdf.branding import (
    DEFAULT_COLOR,
    Branding,
    data_uri,
    image_mime,
    sanitize_custom_section,
)
from portal.cfdi.pdf.context import (
    PdfExtra,
    cancellation_context,
    invoice_context,
    purchase_context,
    receipt_context,
    signature_label,
)
from portal.cfdi.pdf.formatting import SEAL_LINE, money, when
from portal.cfdi.pdf.render import (
    TEMPLATES,
    TEST_WATERMARK,
    html_to_pdf,
    invoice_html,
    render_cancellation,
    render_html,
    render_invoice,
    render_receipt,
    warm_up,
)
from portal.cfdi.pdf.words import amount_in_words, number_in_words

__all__ = [
    "DEFAULT_COLOR",
    "SEAL_LINE",
    "TEMPLATES",
    "TEST_WATERMARK",
    "Branding",
    "PdfExtra",
    "amount_in_words",
    "cancellation_context",
    "data_uri",
    "html_to_pdf",
    "image_mime",
    "invoice_context",
    "invoice_html",
    "money",
    "number_in_words",
    "purchase_context",
    "receipt_context",
    "render_cancellation",
    "render_html",
    "render_invoice",
    "render_receipt",
    "sanitize_custom_section",
    "signature_label",
    "warm_up",
    "when",
]
