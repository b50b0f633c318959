"""What signing and stamping need for one organization: its CSD, its issuer data, the PAC.

Test mode stamps with the local test PAC. Its certificate is generated once, stored (key and
password encrypted) so that every test stamp stays verifiable after a restart, and kept per
process once read (the stored row never changes). Live mode stamps only through the configured
real PAC, with a SAT-issued CSD. Loaded CSDs are kept in a small per-process cache, by
certificate and version, for a few minutes (decrypted keys do not linger).
"""

from __future__ import annotations

import threading
from typing import Any

from cachetools import TTLCache, cached
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import settings
from portal.cfdi.csd import CSD, load_csd
from portal.cfdi.pac import PAC, LocalTestPAC, live_pac
from portal.cfdi.testcsd import TestCredentials, make_test_pac_signer
from portal.cfdi.types import Issuer
from portal.errors import ValidationError
from portal.models.invoices import LocalPacCredential
from portal.models.organizations import Certificate, Organization
from portal.services import organizations as orgs
from portal.services import secrets

TEST_PAC_NAME = "default"
_lock = threading.Lock()
_test_pacs: dict[str, LocalTestPAC] = {}  # by database URL
_generated: list[TestCredentials] = []
CSD_CACHE_SIZE = 64  # organizations whose CSD stays loaded
CSD_CACHE_SECONDS = 600
_csds: TTLCache[tuple[str, str, Any], CSD] = TTLCache(CSD_CACHE_SIZE, CSD_CACHE_SECONDS)


def issuer_of(organization: Organization) -> Issuer:
    """The issuer data of an organization ready to invoice; a coded 400 naming what is missing."""
    steps = orgs.setup_steps(organization)  # test mode needs no more; live is checked in pac_for
    if steps:
        raise ValidationError(
            "La organización no está lista para facturar: "
            + " ".join(s.description for s in steps),
            "organization_not_ready",
        )
    certificate = organization.certificate
    assert certificate is not None  # setup_steps checked it
    return Issuer(
        certificate.rfc,
        organization.legal_name or certificate.legal_name,
        organization.tax_system or "",
        organization.address["zip"],
        organization.address.get("street"),
    )


@cached(
    _csds,
    key=lambda certificate: (
        certificate.id,
        certificate.certificate_number,
        certificate.updated_at,
    ),
    lock=threading.Lock(),
)
def csd_of(certificate: Certificate) -> CSD:
    """The organization's CSD, decrypted and loaded (cached while the certificate is unchanged)."""
    return load_csd(
        certificate.cer_der,
        secrets.decrypt(certificate.key_encrypted),
        secrets.decrypt(certificate.password_encrypted).decode(),
    )


def _new_credentials() -> TestCredentials:
    # RSA generation is the slow part; a process reuses what it generated if the row vanished.
    with _lock:
        if not _generated:
            _generated.append(make_test_pac_signer())
        return _generated[0]


def _stored_test_pac(session: Session) -> LocalPacCredential:
    row = session.get(LocalPacCredential, TEST_PAC_NAME)
    if row is not None:
        return row
    credentials = _new_credentials()
    row = LocalPacCredential(
        name=TEST_PAC_NAME,
        cer_der=credentials.cer_der,
        key_encrypted=secrets.encrypt(credentials.key_der),
        password_encrypted=secrets.encrypt(credentials.password.encode()),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another process stored one first: use theirs
        return session.get(LocalPacCredential, TEST_PAC_NAME, populate_existing=True)  # type: ignore[return-value]
    return row


def test_pac(session: Session) -> LocalTestPAC:
    """The local test PAC, from its stored certificate (created on first use)."""
    database = session.get_bind().url.render_as_string()
    pac = _test_pacs.get(database)
    # Its row may have been rolled back with the transaction that made it: store it again.
    if pac is None or session.get(LocalPacCredential, TEST_PAC_NAME) is None:
        row = _stored_test_pac(session)
        pac = LocalTestPAC.from_files(
            row.cer_der,
            secrets.decrypt(row.key_encrypted),
            secrets.decrypt(row.password_encrypted).decode(),
        )
        _test_pacs[database] = pac
    return pac


def live_config() -> dict[str, Any] | None:
    """The operator's real PAC settings, or None when none is configured."""
    return settings.current().live_pac


def pac_for(session: Session, organization: Organization, livemode: bool) -> PAC:
    """The PAC for this environment; live needs a configured PAC and a SAT-issued CSD."""
    if not livemode:
        return test_pac(session)
    pac = live_pac(live_config())
    certificate = organization.certificate
    if certificate is None or not orgs.is_sat_issued(certificate):
        raise ValidationError(
            "Para timbrar en modo producción se necesita un CSD emitido por el SAT.",
            "csd_not_issued_by_sat",
        )
    return pac
