"""Secrets at rest: MultiFernet over settings.FIELD_ENCRYPTION_KEYS.

The first key encrypts, every key decrypts; `rotate` re-encrypts under the
first key. Settings already refuse to start with a missing or malformed key.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionFailed(Exception):
    """No configured key decrypts this value (a key was removed too early)."""


def _fernets():
    return [Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS]


def encrypt(plaintext):
    return MultiFernet(_fernets()).encrypt(plaintext.encode()).decode()


def decrypt(ciphertext):
    try:
        return MultiFernet(_fernets()).decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise DecryptionFailed("No key in FIELD_ENCRYPTION_KEYS decrypts this value.") from None


def is_current(ciphertext):
    """True when the first (encrypting) key decrypts the value."""
    try:
        _fernets()[0].decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True


def rotate(ciphertext):
    try:
        return MultiFernet(_fernets()).rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise DecryptionFailed("No key in FIELD_ENCRYPTION_KEYS decrypts this value.") from None
