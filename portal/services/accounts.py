"""Reseller and staff accounts: sign-up, credentials, user keys, password reset."""

from __future__ import annotations

import hashlib
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import settings
from portal.errors import Conflict, Forbidden, Problem, ValidationError
from portal.models.accounts import ROLE_RESELLER, Account, new_session_token
from portal.models.base import utcnow
from portal.services import mail, secrets, throttle

USER_KEY_PREFIX = "sk_user_"
PASSWORD_MIN, PASSWORD_MAX = 10, 128
RESET_MAX_AGE = 3600  # seconds a password-reset link stays valid
LOGIN_WINDOW = 900
LOGIN_LIMIT_IP = 30
# Wrong passwords for one account from one client address, with a growing delay: 5 in 15
# minutes lock that pair for the rest of the window, 10 in an hour for the hour, 20 in a day
# for the day. Only that pair: the right password still works from any other address.
LOGIN_LIMITS_ACCOUNT = ((5, LOGIN_WINDOW), (10, 3600), (20, 86400))
LOGIN_LIMIT_ACCOUNT = LOGIN_LIMITS_ACCOUNT[0][0]
ACCOUNT_SUSPENDED = "Esta cuenta está suspendida. Escribe a soporte para reactivarla."
STAFF_USE_CONSOLE = "Las cuentas de soporte entran por la consola de soporte (/admin/login)."
COMMON_PASSWORDS = frozenset(
    """
123456789012 1234567890 qwertyuiop contraseña contrasena password123 password1234 1q2w3e4r5t
iloveyou123 administrador administrator qwerty12345 abcdefghij 0123456789 1111111111 passw0rd123
mexico1234 facturacion contraseña123 qwertyuiop123 letmein1234 welcome123 bienvenido
""".split()
)


@cache
def _hasher_for(cheap: bool) -> PasswordHasher:
    # Tests may ask for argon2's cheapest profile (PASSWORD_HASH_CHEAP); never production.
    return PasswordHasher.from_parameters(profiles.CHEAPEST) if cheap else PasswordHasher()


@cache
def _dummy_hash(cheap: bool) -> str:
    return _hasher_for(cheap).hash("dummy password for timing")


def _cheap() -> bool:
    return settings.current().password_hash_cheap


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    return _hasher_for(_cheap()).hash(password)


def password_matches(account: Account | None, password: str) -> bool:
    """Check a password in constant-ish time, also when there is no account."""
    stored = account.password_hash if account else _dummy_hash(_cheap())
    try:
        return _hasher_for(_cheap()).verify(stored, password) and account is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problems(password: str, email: str = "", path: str = "password") -> list[Problem]:
    """Length and a blocklist, as NIST recommends, rather than composition rules."""
    problems = []
    if len(password) < PASSWORD_MIN:
        problems.append(
            Problem(
                f"La contraseña debe tener al menos {PASSWORD_MIN} caracteres.",
                "password_too_short",
                path,
            )
        )
    elif len(password) > PASSWORD_MAX:
        problems.append(
            Problem(
                f"La contraseña puede tener como máximo {PASSWORD_MAX} caracteres.",
                "password_too_long",
                path,
            )
        )
    elif password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        problems.append(
            Problem("Esa contraseña es demasiado fácil de adivinar.", "password_too_common", path)
        )
    elif len(local := email.split("@")[0].lower()) >= 4 and local in password.lower():
        problems.append(
            Problem("La contraseña no debe contener tu correo.", "password_contains_email", path)
        )
    return problems


def normalise_email(email: str) -> str:
    """Emails compare without case or surrounding spaces."""
    return email.strip().lower()


def find_by_email(session: Session, email: str) -> Account | None:
    """The account with this email, if any."""
    return session.scalar(select(Account).where(Account.email == normalise_email(email)))


def create_account(
    session: Session, email: str, password: str, name: str = "", role: str = ROLE_RESELLER
) -> tuple[Account, str]:
    """A new account and its user key (shown once)."""
    email = normalise_email(email)
    problems = password_problems(password, email)
    if problems:
        raise ValidationError.from_problems(problems)
    if find_by_email(session, email):
        raise Conflict("Ya existe una cuenta con este correo.", "email_taken", "email")
    account = Account(
        email=email, name=name.strip(), role=role, password_hash=hash_password(password)
    )
    session.add(account)
    key = renew_user_key(account)
    session.flush()
    return account, key


def renew_user_key(account: Account) -> str:
    """Replace the account's user key; the old one stops working at once."""
    key = secrets.generate_key(USER_KEY_PREFIX)
    account.user_key_hash = secrets.hash_key(key)
    account.user_key_prefix = key[:12]
    account.user_key_created_at = utcnow()
    return key


def account_for_user_key(
    session: Session, key: str, include_suspended: bool = False
) -> Account | None:
    """The account a user key belongs to (only active ones unless asked)."""
    if not key.startswith(USER_KEY_PREFIX):
        return None
    account = session.scalar(select(Account).where(Account.user_key_hash == secrets.hash_key(key)))
    if account is None or account.is_staff:  # staff act through the console, never the API
        return None
    if account.suspended_at and not include_suspended:
        return None
    return account


def authenticate(
    session: Session, email: str, password: str, ip: str, role: str = ROLE_RESELLER
) -> Account:
    """The active account of ``role`` for these credentials; throttled per account and client
    address (with a growing delay), and per client address."""
    email = normalise_email(email)
    prefix = "login" if role == ROLE_RESELLER else f"login-{role}"
    client = throttle.client(ip)
    pair = [
        (f"{prefix}-account:{email}:{client}:{seconds}", limit, seconds)
        for limit, seconds in LOGIN_LIMITS_ACCOUNT
    ]
    limits = [*pair, (f"{prefix}-ip:{client}", LOGIN_LIMIT_IP, LOGIN_WINDOW)]
    throttle.check_all(session, limits)
    account = find_by_email(session, email)
    matches = password_matches(account, password)
    if not matches or account.role != role:
        for bucket, _limit, seconds in limits:
            throttle.hit(session, bucket, seconds)
        if matches and account.is_staff:
            raise ValidationError(STAFF_USE_CONSOLE, "staff_account")
        raise ValidationError("El correo o la contraseña no son correctos.", "invalid_credentials")
    if account.suspended_at is not None:
        raise Forbidden(ACCOUNT_SUSPENDED, "account_suspended")
    for bucket, _limit, _seconds in pair:
        throttle.reset(session, bucket)
    return account


def set_password(account: Account, password: str) -> None:
    """Store a new password and end every other session of the account."""
    problems = password_problems(password, account.email)
    if problems:
        raise ValidationError.from_problems(problems)
    account.password_hash = hash_password(password)
    account.password_changed_at = utcnow()
    account.session_token = new_session_token()


def end_all_sessions(account: Account) -> None:
    """Sign the account out everywhere: every session and remember-me cookie stops working."""
    account.session_token = new_session_token()


def change_password(account: Account, current: str, new: str) -> None:
    """Change the password after checking the current one."""
    if not password_matches(account, current):
        raise ValidationError(
            "La contraseña actual no es correcta.", "invalid_password", path="current_password"
        )
    set_password(account, new)


def change_email(session: Session, account: Account, password: str, new_email: str) -> None:
    """Change the sign-in email after checking the password."""
    if not password_matches(account, password):
        raise ValidationError("La contraseña no es correcta.", "invalid_password", path="password")
    new_email = normalise_email(new_email)
    taken = session.scalar(
        select(func.count())
        .select_from(Account)
        .where(Account.email == new_email, Account.id != account.id)
    )
    if taken:
        raise Conflict("Ya existe una cuenta con este correo.", "email_taken", "email")
    account.email = new_email


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.current().secret_key, salt="password-reset")


def _password_fingerprint(account: Account) -> str:
    # Part of the token: once the password changes, every older token is void (single use).
    return hashlib.sha256(account.password_hash.encode()).hexdigest()[:16]


def make_reset_token(account: Account) -> str:
    """A signed, expiring, single-use password-reset token."""
    return _reset_serializer().dumps({"id": account.id, "fp": _password_fingerprint(account)})


def send_password_reset(session: Session, account: Account | None) -> None:
    """Email a reset link to an active account (nothing happens for unknown or suspended)."""
    if account is None or account.suspended_at:
        return
    link = settings.current().link("auth.reset_password", token=make_reset_token(account))
    mail.queue_email(
        session,
        "password_reset",
        [account.email],
        settings.current().translate("Restablece tu contraseña"),
        {"link": link, "account": account},
        account_id=account.id,
    )


def reset_password(session: Session, token: str, password: str) -> Account:
    """Set a new password from a reset token, which then stops working."""
    invalid = ValidationError(
        "El enlace para restablecer la contraseña no es válido o ya se usó. Pide uno nuevo.",
        "invalid_reset_token",
    )
    try:
        data = _reset_serializer().loads(token, max_age=RESET_MAX_AGE)
    except SignatureExpired as exc:
        raise ValidationError(
            "El enlace para restablecer la contraseña caducó. Pide uno nuevo.",
            "expired_reset_token",
        ) from exc
    except BadSignature as exc:
        raise invalid from exc
    account = session.get(Account, data.get("id", ""))
    if account is None or not secrets.same(data.get("fp", ""), _password_fingerprint(account)):
        raise invalid
    set_password(account, password)
    return account


def set_language(account: Account, language: str, offered: list[str]) -> None:
    """Keep the interface language a person chose; a language not offered is a 400."""
    if language not in offered:
        raise ValidationError("Elige un idioma de la lista.", "invalid_language", path="language")
    account.language = language
