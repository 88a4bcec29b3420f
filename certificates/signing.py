"""Ed25519 signatures over a certificate's facts, with the deployment's keys (settings.CERTIFICATE_SIGNING_KEYS).

The first key signs; every key verifies, so a new key can be put first without invalidating what the old ones
signed. A key is named by its id, a short hash of its public key, stored beside each signature. Private keys
never leave this module: nothing here logs or returns them.
"""

import base64
import hashlib
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

KEY_ID_LENGTH = 16  # hex characters of the SHA-256 of the raw public key


@dataclass(frozen=True)
class Signed:
    signature: str  # standard base64 of the 64-byte Ed25519 signature
    key_id: str


def canonical_json(facts):
    """The exact bytes that are signed: sorted keys, no whitespace, UTF-8. Any stored copy recomputes the same."""
    return json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def key_id_of(public_key):
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:KEY_ID_LENGTH]


def _private_keys():
    return [Ed25519PrivateKey.from_private_bytes(base64.b64decode(key)) for key in settings.CERTIFICATE_SIGNING_KEYS]


def public_keys():
    """{key id: public key} of every configured key."""
    return {key_id_of(public_key): public_key for public_key in (key.public_key() for key in _private_keys())}


def facts_sign(facts):
    signing_key = _private_keys()[0]
    signature = signing_key.sign(canonical_json(facts))
    return Signed(signature=base64.b64encode(signature).decode(), key_id=key_id_of(signing_key.public_key()))


def facts_verify(*, facts, signature, key_id):
    """True when `signature` over the facts' canonical JSON holds under the configured key named `key_id`."""
    public_key: Ed25519PublicKey | None = public_keys().get(key_id)
    if public_key is None:
        return False
    try:
        public_key.verify(base64.b64decode(signature, validate=True), canonical_json(facts))
    except (InvalidSignature, ValueError):
        return False
    return True
