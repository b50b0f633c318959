"""A sample invoice in an organization's brand, so resellers see their logo and colour at work."""

from __future__ import annotations

from functools import cache

from portal.cfdi.csd import load_csd
from portal.cfdi.documents import build_invoice
from portal.cfdi.pac import LocalTestPAC
from portal.cfdi.pdf import Branding, render_invoice
from portal.cfdi.testcsd import make_test_credentials, make_test_pac_signer
from portal.cfdi.types import InvoiceInput, Issuer
from portal.models.organizations import Organization

SAMPLE_RFC, SAMPLE_NAME = "EKU9003173C9", "EMPRESA DE EJEMPLO"
SAMPLE_INVOICE = {
    "customer": {
        "legal_name": "CLIENTE DE EJEMPLO",
        "tax_id": "XAXX010101000",
        "tax_system": "616",
        "address": {"zip": "42501"},
    },
    "use": "S01",
    "payment_form": "03",
    "items": [
        {
            "quantity": 2,
            "product": {
                "description": "Servicio de mantenimiento",
                "product_key": "72101500",
                "price": 1160,
            },
        },
        {
            "quantity": 1,
            "discount": 50,
            "product": {"description": "Refacción", "product_key": "31161500", "price": 580},
        },
        {
            "quantity": 3,
            "product": {
                "description": "Traslado",
                "product_key": "78101800",
                "price": 232,
                "unit_key": "E48",
                "unit_name": "Servicio",
            },
        },
    ],
}


@cache
def sample_invoice_xml() -> bytes:
    """A stamped sample invoice from a throwaway test issuer (built once per process)."""
    issuer_files = make_test_credentials(SAMPLE_RFC, SAMPLE_NAME)
    csd = load_csd(issuer_files.cer_der, issuer_files.key_der, issuer_files.password)
    issuer = Issuer(SAMPLE_RFC, SAMPLE_NAME, "601", "42501")
    built = build_invoice(csd, issuer, InvoiceInput.from_dict(SAMPLE_INVOICE))
    return LocalTestPAC(make_test_pac_signer().signer()).stamp(built).xml


def preview_pdf(organization: Organization) -> bytes:
    """The sample invoice rendered with the organization's logo, colour and PDF options."""
    branding = Branding(
        organization_name=organization.name, logo=organization.logo, color=organization.color
    )
    return render_invoice(
        sample_invoice_xml(), branding, pdf_extra=organization.pdf_extra, test_mode=True
    )
