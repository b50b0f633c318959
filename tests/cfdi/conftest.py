"""Shared fixtures of the fiscal engine tests: a test issuer CSD and the local test PAC.

- ``issuer_credentials``: ``TestCredentials`` (cer_der, key_der, password) of a SAT-shaped
  test CSD for RFC EKU9003173C9 (SAT's published test RFC), never a real certificate.
- ``issuer_csd``: that CSD loaded and checked (``portal.cfdi.csd.CSD``).
- ``issuer``: the matching ``Issuer`` (regime 601, zip 42501).
- ``test_pac_credentials`` / ``test_pac``: certificate files and a ``LocalTestPAC``.
- ``customer``: a Mexican company receiver; ``sample_invoice``: a small valid invoice input.
All are session-scoped because RSA key generation is the slow part.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.cfdi.csd import CSD, load_csd
from portal.cfdi.pac import LocalTestPAC
from portal.cfdi.testcsd import TestCredentials, make_test_credentials, make_test_pac_signer
from portal.cfdi.types import Address, Customer, InvoiceInput, Issuer, Item, Product

ISSUER_RFC = "EKU9003173C9"
ISSUER_NAME = "ESCUELA KEMPER URGATE"


@pytest.fixture(scope="session")
def issuer_credentials() -> TestCredentials:
    """Files of the test issuer CSD."""
    return make_test_credentials(ISSUER_RFC, ISSUER_NAME)


@pytest.fixture(scope="session")
def issuer_csd(issuer_credentials: TestCredentials) -> CSD:
    """The test issuer CSD, loaded."""
    c = issuer_credentials
    return load_csd(c.cer_der, c.key_der, c.password)


@pytest.fixture(scope="session")
def issuer(issuer_csd: CSD) -> Issuer:
    """The issuer whose CSD is ``issuer_csd``."""
    return Issuer(issuer_csd.rfc, issuer_csd.legal_name, "601", "42501")


@pytest.fixture(scope="session")
def test_pac_credentials() -> TestCredentials:
    """Files of the local test PAC certificate."""
    return make_test_pac_signer()


@pytest.fixture(scope="session")
def test_pac(test_pac_credentials: TestCredentials) -> LocalTestPAC:
    """The local test PAC (cancellations settle on the next status call)."""
    return LocalTestPAC(test_pac_credentials.signer())


@pytest.fixture()
def customer() -> Customer:
    """A Mexican company receiver (SAT's test RFC for a persona moral)."""
    return Customer("UNIVERSIDAD ROBOTICA ESPAÑOLA", "URE180429TM6", "601", Address(zip="86991"))


@pytest.fixture()
def sample_invoice(customer: Customer) -> InvoiceInput:
    """A two-line income invoice: one with IVA 16 % included, one exempt."""
    items = [
        Item(Product("Ukelele", "60131324", Decimal("345.60")), quantity=Decimal(2)),
        Item(Product("Libro", "55101500", Decimal("120"), taxes=[]), discount=Decimal("20")),
    ]
    return InvoiceInput(customer, items, payment_form="03", use="G03")


@pytest.fixture(scope="session")
def stamp_and_check(test_pac: LocalTestPAC, test_pac_credentials: TestCredentials, issuer_csd: CSD):
    """Stamp a BuiltDocument with the test PAC, then re-parse and check everything about it.

    Seal verified with the issuer certificate, TFD verified with the PAC certificate, and the
    stamped XML valid for both the fast validator and the complete XSD.
    """
    from portal.cfdi.pac import verify_seal, verify_tfd
    from portal.cfdi.validation import full_schema_problems, schema_problems

    def check(document):
        stamped = test_pac.stamp(document)
        verify_seal(stamped.xml, issuer_csd.certificate)
        verify_tfd(stamped.xml, test_pac_credentials.cer_der)
        assert schema_problems(stamped.xml) == []
        assert full_schema_problems(stamped.xml) == []
        return stamped

    return check
