"""Support staff sign-in: a password, then a TOTP code or a single-use recovery code."""

from __future__ import annotations

import base64
import hashlib
import secrets as stdlib_secrets
from collections.abc import Callable
from datetime import datetime

import pyotp
import qrcode
import qrcode.image.svg
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from portal.errors import ValidationError
from portal.models.accounts import ROLE_STAFF, Account
from portal.models.base import utcnow
from portal.models.staff import StaffRecoveryCode, StaffTotp
from portal.services import accounts, audit, secrets, throttle
from portal.services.audit import StaffActor

ISSUER = "Factura Portal"
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
SECOND_FACTOR_LIMIT, SECOND_FACTOR_WINDOW = 5, 900


def authenticate(session: Session, email: str, password: str, ip: str) -> Account:
    """The staff account for these credentials (throttled apart from resellers' sign-in)."""
    return accounts.authenticate(session, email, password, ip, role=ROLE_STAFF)


def record_failed_sign_in(session: Session, email: str, ip: str, code: str) -> None:
    """Audit a refused sign-in when the email is a staff member's (others are just throttled)."""
    account = accounts.find_by_email(session, email)
    if account is not None and account.is_staff:
        audit.record(
            session, StaffActor(account.id, ip), "staff.sign_in_failed", details={"code": code}
        )


def totp_of(session: Session, staff: Account) -> StaffTotp | None:
    """The staff member's authenticator secret, confirmed or not."""
    return session.get(StaffTotp, staff.id)


def has_second_factor(session: Session, staff: Account) -> bool:
    """Whether the staff member has finished setting up the authenticator."""
    totp = totp_of(session, staff)
    return totp is not None and totp.confirmed_at is not None


def begin_setup(session: Session, staff: Account) -> StaffTotp:
    """A pending secret to scan (kept if one is already waiting for confirmation)."""
    totp = totp_of(session, staff)
    if totp is not None:
        return totp
    totp = StaffTotp(
        account_id=staff.id, secret_encrypted=secrets.encrypt(pyotp.random_base32().encode())
    )
    session.add(totp)
    session.flush()
    return totp


def secret_of(totp: StaffTotp) -> str:
    """The base32 secret, for people who type it instead of scanning."""
    return secrets.decrypt(totp.secret_encrypted).decode()


def provisioning_uri(totp: StaffTotp, staff: Account) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret_of(totp)).provisioning_uri(name=staff.email, issuer_name=ISSUER)


def qr_data_uri(text: str) -> str:
    """A QR code as an SVG data: URI (allowed by the CSP, no inline markup needed)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


def confirm_setup(
    session: Session, staff: Account, code: str, ip: str | None = None, now: datetime | None = None
) -> list[str]:
    """Turn the pending secret on with a first code; returns the recovery codes (shown once)."""
    totp = totp_of(session, staff)
    if totp is None or totp.confirmed_at is not None:
        raise ValidationError("No hay una configuración pendiente.", "no_pending_setup")
    _guarded(session, staff, ip, lambda: _accept_totp(session, totp, code, now))
    totp.confirmed_at = utcnow()
    return new_recovery_codes(session, staff)


def verify(
    session: Session, staff: Account, code: str, ip: str | None = None, now: datetime | None = None
) -> str:
    """Check a TOTP or recovery code (throttled); returns ``"totp"`` or ``"recovery_code"``."""
    totp = totp_of(session, staff)
    if totp is None or totp.confirmed_at is None:
        raise ValidationError("Primero configura tu aplicación de autenticación.", "no_totp")
    return _guarded(session, staff, ip, lambda: _accept_any(session, staff, totp, code, now))


def _guarded(
    session: Session, staff: Account, ip: str | None, attempt: Callable[[], str | None]
) -> str:
    bucket = f"staff-2fa:{staff.id}"
    throttle.check(session, bucket, SECOND_FACTOR_LIMIT, SECOND_FACTOR_WINDOW)
    method = attempt()
    if method is None:
        throttle.hit(session, bucket, SECOND_FACTOR_WINDOW)
        audit.record(session, StaffActor(staff.id, ip), "staff.second_factor_failed")
        raise ValidationError("El código no es correcto o ya se usó.", "invalid_code", "code")
    throttle.reset(session, bucket)
    return method


def _accept_any(
    session: Session, staff: Account, totp: StaffTotp, code: str, now: datetime | None
) -> str | None:
    if _accept_totp(session, totp, code, now):
        return "totp"
    return "recovery_code" if use_recovery_code(session, staff, code, now) else None


def _accept_totp(session: Session, totp: StaffTotp, code: str, now: datetime | None) -> str | None:
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    generator = pyotp.TOTP(secret_of(totp))
    current = generator.timecode(now or utcnow())
    for step in (current - 1, current, current + 1):  # one step of clock drift either way
        if secrets.same(generator.generate_otp(step), code):
            return "totp" if _spend_step(session, totp, step) else None
    return None


def _spend_step(session: Session, totp: StaffTotp, step: int) -> bool:
    # Conditional UPDATE: two requests racing with the same code cannot both win.
    result = session.execute(
        update(StaffTotp)
        .where(StaffTotp.account_id == totp.account_id, StaffTotp.last_step < step)
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    session.refresh(totp)
    return result.rowcount == 1


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash_code(code: str) -> str:
    return hashlib.sha256(_normalise_code(code).encode()).hexdigest()


def new_recovery_codes(session: Session, staff: Account) -> list[str]:
    """Ten fresh recovery codes (shown once); earlier ones stop working."""
    session.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.account_id == staff.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(stdlib_secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    session.add_all(StaffRecoveryCode(account_id=staff.id, code_hash=_hash_code(c)) for c in codes)
    session.flush()
    return codes


def use_recovery_code(
    session: Session, staff: Account, code: str, now: datetime | None = None
) -> bool:
    """Spend a recovery code; each works once."""
    if len(_normalise_code(code)) != 10:
        return False
    result = session.execute(
        update(StaffRecoveryCode)
        .where(
            StaffRecoveryCode.account_id == staff.id,
            StaffRecoveryCode.code_hash == _hash_code(code),
            StaffRecoveryCode.used_at.is_(None),
        )
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def recovery_codes_left(session: Session, staff: Account) -> int:
    """How many recovery codes the staff member can still use."""
    return (
        session.scalar(
            select(func.count())
            .select_from(StaffRecoveryCode)
            .where(StaffRecoveryCode.account_id == staff.id, StaffRecoveryCode.used_at.is_(None))
        )
        or 0
    )
