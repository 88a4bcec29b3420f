"""Production settings come from the environment and refuse to start half-configured."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 20 + "-production-secret-key-that-is-long-enough-9f8e7d",
    "ALLOWED_HOSTS": "app.cohortstudio.io",
    "SITE_URL": "https://app.cohortstudio.io",
    "DATABASE_URL": "postgres://cohort:secret@127.0.0.1:5432/cohortstudio",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
    "DEFAULT_FROM_EMAIL": "CohortStudio <no-reply@cohortstudio.io>",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "CERTIFICATE_SIGNING_KEYS": base64.b64encode(secrets.token_bytes(32)).decode(),
    "ZOOM_CLIENT_ID": "client-id",
    "ZOOM_CLIENT_SECRET": "client-secret",
    "ZOOM_WEBHOOK_SECRET_TOKEN": "webhook-secret",
    "ZOOM_SIMULATOR": "0",
}


def _manage(*args, **overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in PRODUCTION and not key.startswith(("ZOOM_", "CELERY_", "DJANGO_"))
    }
    env.update(PRODUCTION)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_passes_with_production_values():
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout


def test_missing_encryption_keys_stop_start_up_with_instructions():
    result = _manage("check", FIELD_ENCRYPTION_KEYS=None)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS is not set" in result.stderr


def test_malformed_encryption_key_is_named():
    result = _manage("check", FIELD_ENCRYPTION_KEYS=f"{Fernet.generate_key().decode()},not-a-key")
    assert result.returncode != 0
    assert "key number 2 is not a valid Fernet key" in result.stderr


def test_missing_certificate_signing_keys_stop_start_up_with_instructions():
    result = _manage("check", CERTIFICATE_SIGNING_KEYS=None)
    assert result.returncode != 0
    assert "CERTIFICATE_SIGNING_KEYS is not set" in result.stderr and "os.urandom(32)" in result.stderr


def test_malformed_certificate_signing_key_is_named():
    good = base64.b64encode(secrets.token_bytes(32)).decode()
    short = base64.b64encode(secrets.token_bytes(31)).decode()
    result = _manage("check", CERTIFICATE_SIGNING_KEYS=f"{good},{short}")
    assert result.returncode != 0
    assert "CERTIFICATE_SIGNING_KEYS: key number 2 is not a valid Ed25519 private key" in result.stderr
    assert short not in result.stderr, "a key must never be printed"


def test_simulator_cannot_be_enabled_in_production_by_accident():
    result = _manage("check", ZOOM_SIMULATOR="1")
    assert result.returncode != 0
    assert "ZOOM_SIMULATOR is on with DEBUG=0" in result.stderr


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit:
        pytest.fail(f"a model change has no migration:\n{out.getvalue()}")


def test_make_test_collects_every_app_s_tests():
    """An app's tests folder missing from pytest's testpaths would silently never run."""
    import configparser

    root = Path(__file__).resolve().parents[1]
    parser = configparser.ConfigParser()
    parser.read(root / "pytest.ini")
    testpaths = set(parser["pytest"]["testpaths"].split())
    with_tests = {path.parent.name for path in root.glob("*/tests/__init__.py")}
    assert with_tests - testpaths == set()


def test_the_readme_documents_every_setting_read_from_the_environment():
    import re

    root = Path(__file__).resolve().parents[1]
    read = set(re.findall(r'env\.\w+\("([A-Z][A-Z0-9_]+)"', (root / "cohortstudio" / "settings.py").read_text()))
    readme = (root / "README.md").read_text()
    assert read and not {name for name in read if f"`{name}`" not in readme}
