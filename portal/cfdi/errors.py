"""Error codes of the fiscal engine and small helpers to raise them.

Every refusal of the engine is a ``portal.errors`` error with a Spanish message and its own
machine-readable ``code``; the constants below are the contract with the API layer.
"""

from __future__ import annotations

from portal.errors import PortalError, Problem, ValidationError

# CSD (certificado de sello digital) upload and loading.
CSD_CERTIFICATE_UNREADABLE = "csd_certificate_unreadable"
CSD_KEY_UNREADABLE = "csd_key_unreadable"
CSD_WRONG_PASSWORD = "csd_wrong_password"
CSD_KEY_MISMATCH = "csd_key_mismatch"
CSD_IS_FIEL = "csd_is_fiel"
CSD_NOT_CSD = "csd_invalid_type"
CSD_EXPIRED = "csd_expired"
CSD_NOT_YET_VALID = "csd_not_yet_valid"
CSD_NOT_ISSUED_BY_SAT = "csd_not_issued_by_sat"
CSD_WITHOUT_RFC = "csd_without_rfc"
CSD_RFC_MISMATCH = "csd_rfc_mismatch"

# Input and money.
INVALID_INPUT = "invalid_input"
INVALID_AMOUNT = "invalid_amount"
INVALID_TAX = "invalid_tax"
INVALID_TAXABILITY = "invalid_taxability"
DISCOUNT_TOO_LARGE = "discount_too_large"
INVALID_CURRENCY = "invalid_currency"
INVALID_EXCHANGE = "invalid_exchange"
INVALID_PAYMENT = "invalid_payment"
INVALID_GLOBAL = "invalid_global_info"
INVALID_DOCUMENT_TYPE = "invalid_document_type"
INVALID_ADDENDA = "invalid_addenda"
RETENTION_COMPLEMENT_INVALID = "retention_complement_invalid"

# Validation against SAT's schema and catalogs.
XSD_INVALID = "cfdi_schema_invalid"
CATALOG_INVALID = "cfdi_catalog_invalid"

# Cancellation.
CANCEL_MOTIVE_INVALID = "cancellation_motive_invalid"
CANCEL_SUBSTITUTION_REQUIRED = "cancellation_substitution_required"
CANCEL_SUBSTITUTION_NOT_ALLOWED = "cancellation_substitution_not_allowed"

# Stamping (PAC).
PAC_NOT_CONFIGURED = "pac_not_configured"
PAC_UNKNOWN_PROVIDER = "pac_unknown_provider"
PAC_BAD_CONFIG = "pac_bad_config"
PAC_STAMP_REJECTED = "pac_stamp_rejected"
PAC_CANCEL_REJECTED = "pac_cancel_rejected"
PAC_UNAVAILABLE = "pac_unavailable"
PAC_NOT_FOUND = "pac_document_not_found"
PAC_TEST_IN_LIVE = "pac_test_in_live"

# Verification of produced documents.
SEAL_INVALID = "cfdi_seal_invalid"
TFD_INVALID = "tfd_invalid"


class CSDError(ValidationError):
    """A CSD (certificate + key + password) was refused."""


class CFDIValidationError(ValidationError):
    """A document breaks SAT's schema or catalogs."""


class PACError(PortalError):
    """The PAC refused or failed; ``pac_message`` keeps the PAC's own words."""

    pac_message: str | None = None


def invalid(message: str, code: str = INVALID_INPUT, path: str | None = None) -> ValidationError:
    """A ``ValidationError`` for one problem at ``path``."""
    return ValidationError(message, code, 400, path)


def pac_error(
    message: str, code: str, status: int = 502, pac_message: str | None = None
) -> PACError:
    """A ``PACError`` keeping the PAC's message next to ours."""
    text = f"{message} {pac_message}".strip() if pac_message else message
    error = PACError(text, code, status, None, [Problem(text, code, None, "pac")])
    error.pac_message = pac_message
    return error
