import base64
import secrets
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from certificates import services


@pytest.mark.django_db
def test_certificate_keys_counts_per_key_and_fails_when_a_signing_key_was_removed(settings, enrolment, progress):
    old_key = settings.CERTIFICATE_SIGNING_KEYS[0]
    certificate = services.certificate_issue(enrolment=enrolment, progress=progress)
    new_key = base64.b64encode(secrets.token_bytes(32)).decode()

    settings.CERTIFICATE_SIGNING_KEYS = [new_key, old_key]
    out = StringIO()
    call_command("certificate_keys", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("signs and verifies  0 certificate(s)")
    assert lines[1] == f"{certificate.signing_key_id}  verifies  1 certificate(s)"
    assert old_key not in out.getvalue() and new_key not in out.getvalue()

    settings.CERTIFICATE_SIGNING_KEYS = [new_key]
    with pytest.raises(CommandError, match=f"{certificate.signing_key_id} \\(1\\)"):
        call_command("certificate_keys", stdout=StringIO())
