import base64
import secrets

from certificates import signing


def _key():
    return base64.b64encode(secrets.token_bytes(32)).decode()


def test_canonical_json_does_not_depend_on_key_order_and_keeps_unicode():
    assert signing.canonical_json({"b": "Zoë", "a": ["x", 1]}) == signing.canonical_json({"a": ["x", 1], "b": "Zoë"})
    assert signing.canonical_json({"b": "Zoë", "a": 1}) == '{"a":1,"b":"Zoë"}'.encode()


def test_a_signature_verifies_and_any_changed_fact_breaks_it(settings):
    settings.CERTIFICATE_SIGNING_KEYS = [_key()]
    facts = {"student": "Ada Lovelace", "hours": "12.50"}
    signed = signing.facts_sign(facts)
    assert signing.facts_verify(facts=facts, signature=signed.signature, key_id=signed.key_id)
    assert not signing.facts_verify(facts={**facts, "hours": "12.51"}, signature=signed.signature, key_id=signed.key_id)
    assert not signing.facts_verify(facts={**facts, "extra": ""}, signature=signed.signature, key_id=signed.key_id)
    assert not signing.facts_verify(facts=facts, signature="not base64!", key_id=signed.key_id)


def test_rotation_a_new_first_key_signs_and_the_old_one_still_verifies(settings):
    old_key, new_key = _key(), _key()
    settings.CERTIFICATE_SIGNING_KEYS = [old_key]
    facts = {"number": "CS-2026-000001"}
    old = signing.facts_sign(facts)

    settings.CERTIFICATE_SIGNING_KEYS = [new_key, old_key]
    new = signing.facts_sign(facts)
    assert new.key_id != old.key_id and len(new.key_id) == signing.KEY_ID_LENGTH
    assert signing.facts_verify(facts=facts, signature=old.signature, key_id=old.key_id)
    assert signing.facts_verify(facts=facts, signature=new.signature, key_id=new.key_id)

    settings.CERTIFICATE_SIGNING_KEYS = [new_key]
    assert not signing.facts_verify(facts=facts, signature=old.signature, key_id=old.key_id), "its key was removed"


def test_the_key_id_names_the_public_key_and_never_contains_the_private_key(settings):
    key = _key()
    settings.CERTIFICATE_SIGNING_KEYS = [key]
    [(key_id, _)] = signing.public_keys().items()
    assert signing.facts_sign({}).key_id == key_id
    assert key not in key_id
