"""API keys (random, hashed for lookup) and encryption of secrets at rest."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from portal import settings

KEY_ALPHABET = string.ascii_letters + string.digits
KEY_LENGTH = 32  # about 190 bits: a fast hash is enough to store it


def generate_key(prefix: str) -> str:
    """A new secret key such as ``sk_user_…``."""
    return prefix + "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


def hash_key(key: str) -> str:
    """The stored form of a key: SHA-256, looked up by equality."""
    return hashlib.sha256(key.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(a.encode(), b.encode())


def _fernet() -> MultiFernet:
    # Several comma-separated keys allow rotation: the first encrypts, all decrypt.
    return MultiFernet([Fernet(key.encode()) for key in settings.current().encryption_keys])


def encrypt(data: bytes) -> bytes:
    """Encrypt a secret for storage."""
    return _fernet().encrypt(data)


def decrypt(token: bytes) -> bytes:
    """Decrypt a stored secret; a wrong key is a configuration error, not user input."""
    try:
        return _fernet().decrypt(token)
    except InvalidToken as exc:
        raise RuntimeError("stored secret cannot be decrypted with ENCRYPTION_KEY") from exc
