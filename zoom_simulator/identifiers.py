"""Identifiers shaped like Zoom's."""

import base64
import hashlib
import json
import secrets
import time
import uuid as uuid_module

from zoom_simulator import constants


def zoom_id():
    """22 url-safe characters, like Zoom's user, account, registrant and poll ids."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")


def meeting_number():
    """An 11-digit meeting id: beyond 32 bits, as Zoom's are."""
    return secrets.randbelow(20_000_000_000) + 80_000_000_000


def personal_meeting_id():
    return secrets.randbelow(9_000_000_000) + 1_000_000_000


def account_number():
    return secrets.randbelow(90_000_000) + 10_000_000


def pin_code():
    return secrets.randbelow(900_000) + 100_000


def meeting_uuid(*, style=constants.UUID_STYLE_PLAIN):
    """Base64 of 16 random bytes; the forced styles need double encoding in API paths."""
    value = base64.b64encode(secrets.token_bytes(16)).decode()
    if style == constants.UUID_STYLE_LEADING_SLASH:
        return "/" + value[1:]
    if style == constants.UUID_STYLE_DOUBLE_SLASH:
        return value[:5] + "//" + value[7:]
    return value


def file_id():
    return str(uuid_module.uuid4())


def url_token():
    return secrets.token_urlsafe(24)


def passcode(length=8):
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def oauth_token(*, zoom_user_id, account_id, client_id, token_type, lifetime_seconds):
    """A JWT-shaped token as long as Zoom's (several hundred characters), so storage limits show up."""
    now = int(time.time())
    header = {"alg": "HS512", "v": "2.0", "kid": zoom_id()}
    claims = {
        "aud": "https://oauth.zoom.us",
        "uid": zoom_user_id,
        "ver": 10,
        "auid": hashlib.sha256(zoom_user_id.encode()).hexdigest(),
        "nbf": now,
        "code": secrets.token_urlsafe(24),
        "iss": f"zm:cid:{client_id}",
        "gno": 0,
        "exp": now + lifetime_seconds,
        "type": token_type,
        "iat": now,
        "aid": account_id,
        "jti": str(uuid_module.uuid4()),
    }
    segments = [_b64_json(header), _b64_json(claims), _b64(secrets.token_bytes(64))]
    return ".".join(segments)


def token_digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _b64_json(value):
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _b64(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
