from __future__ import annotations

import hashlib
import hmac

from django.test import RequestFactory

from audit import keys
from audit.context import reset_current_request, set_current_request
from audit.log import record, verify_chain
from audit.models import GENESIS_HASH, AuditEvent


def test_events_link_each_to_the_one_before(tess):
    first = record("test.first", actor=tess, obj=tess, payload={"n": 1})
    second = record("test.second", actor=tess, payload={"n": 2})

    assert second.seq == first.seq + 1
    assert second.prev_hash == first.hash
    assert AuditEvent.objects.get(seq=1).prev_hash == GENESIS_HASH
    assert verify_chain().ok


def test_an_event_hashes_every_field_it_stores(tess):
    event = record("test.hash", actor=tess, obj=tess, payload={"b": [1, 2], "a": "x"})
    stored = AuditEvent.objects.get(pk=event.pk)

    # Keyed: an HMAC under the audit key, which is not in the database, so a plain SHA-256 does not match.
    assert stored.key_id == keys.current().id
    assert stored.hash == hmac.new(keys.current().secret, stored.canonical(), hashlib.sha256).hexdigest()
    assert stored.hash != hashlib.sha256(stored.canonical()).hexdigest()
    assert f'"key_id":"{stored.key_id}"'.encode() in stored.canonical()
    for field, value in {
        "actor_label": "tess",
        "object_type": "auth.user",
        "object_id": str(tess.pk),
        "action": "test.hash",
    }.items():
        assert f'"{field}":"{value}"'.encode() in stored.canonical()


def test_the_request_session_address_and_agent_are_recorded(tess, client):
    client.force_login(tess)
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="PhoneBrowser/1.0")
    request.session = client.session
    token = set_current_request(request)
    try:
        event = record("test.context", actor=tess)
    finally:
        reset_current_request(token)

    assert event.ip == "203.0.113.9"
    assert event.user_agent == "PhoneBrowser/1.0"
    assert event.session_hash == hashlib.sha256(client.session.session_key.encode()).hexdigest()
    assert client.session.session_key not in event.canonical().decode()


def test_payloads_round_trip_through_the_database_unchanged(tess):
    awkward = {"nul": "a\x00b", "script": "<script>alert(1)</script>", "unicode": "Größe ✓", "f": 0.1}
    event = record("test.payload", actor=tess, payload=awkward)

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.payload["script"] == "<script>alert(1)</script>"
    assert "\x00" not in stored.payload["nul"]
    assert verify_chain().ok


def test_an_anonymous_actor_is_recorded_as_nobody(db):
    from django.contrib.auth.models import AnonymousUser

    event = record("test.anon", actor=AnonymousUser())
    assert event.actor is None and event.actor_label == ""
