"""The test run's settings and audit log, and the cast as fixtures: tess the tech, vic the second tech, ada
the approver, rex the requester, cora the coordinator, sam the admin, olive who has no role
(tests.builders.people makes them)."""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from accounts.roles import Role
from tests.builders.people import make_user


@pytest.fixture(autouse=True, scope="session")
def _test_settings(tmp_path_factory):
    """Session-wide, so the live server (started once per session) sees them too."""
    audit_dir = tmp_path_factory.mktemp("audit")
    with override_settings(
        # The audit key and checkpoints of a test run, never the checkout's own under var/.
        LOCKSTEP_AUDIT_KEY="",
        LOCKSTEP_AUDIT_KEY_FILE=audit_dir / "audit_keys",
        LOCKSTEP_AUDIT_CHECKPOINT_FILE=audit_dir / "checkpoints.jsonl",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # Tests speak plain HTTP; production's TLS settings are tested in test_settings_from_env.
        SECURE_SSL_REDIRECT=False,
        SECURE_HSTS_SECONDS=0,
        # Production serves hashed names from collectstatic's manifest; tests read the source files.
        STORAGES=settings.STORAGES
        | {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
    ):
        yield


_DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(autouse=True)
def _each_test_starts_a_checkpointed_log(request):
    """Each test's database starts with an empty log, so a checkpoint written by an earlier test would vouch
    for events that are gone. A test that uses the database gets what a new installation gets: the first
    checkpoint, of its empty log (and of who holds which rights then), without which no event verifies."""
    Path(settings.LOCKSTEP_AUDIT_CHECKPOINT_FILE).unlink(missing_ok=True)
    names = set(request.fixturenames)
    if request.node.get_closest_marker("django_db") or _DATABASE_FIXTURES & names:
        # The live server asks for a transactional database only once it starts: asked for first, as it will be.
        request.getfixturevalue("transactional_db" if "live_server" in names else "_django_db_helper")
        call_command("audit_checkpoint", verbosity=0)
    yield
    Path(settings.LOCKSTEP_AUDIT_CHECKPOINT_FILE).unlink(missing_ok=True)


@pytest.fixture(autouse=True, scope="session")
def _flush_may_empty_the_audit_log():
    """Between transactional tests Django empties every table: with DELETE on SQLite, where the append-only
    triggers (audit migration 0005) let that through only inside `audit.sqlite.unlocked()`; with TRUNCATE on
    PostgreSQL, where the trigger that refuses it (audit migration 0006) is switched off for the flush, as only
    the table's owner can."""
    from django.core.management.commands import flush
    from django.db import DEFAULT_DB_ALIAS, connections

    from audit.sqlite import unlocked

    handle = flush.Command.handle

    def truncate_trigger(connection, state: str) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE audit_event {state} TRIGGER audit_event_no_truncate")

    def handle_unlocked(self, *args, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        truncate_trigger(connection, "DISABLE")
        try:
            with unlocked():
                return handle(self, *args, **options)
        finally:
            truncate_trigger(connection, "ENABLE")

    with mock.patch.object(flush.Command, "handle", handle_unlocked):
        yield


@pytest.fixture(autouse=True, scope="session")
def _postgres_when_asked(django_db_setup, django_db_blocker):
    """`make test-pg` sets LOCKSTEP_REQUIRE_PG: a run that silently fell back to SQLite must fail, not pass."""
    if os.environ.get("LOCKSTEP_REQUIRE_PG") == "1":
        with django_db_blocker.unblock():
            assert connection.vendor == "postgresql", (
                "make test-pg must run on PostgreSQL (check DATABASE_URL)"
            )


@pytest.fixture
def tess(db) -> User:
    return make_user("tess", Role.TECH)


@pytest.fixture
def vic(db) -> User:
    return make_user("vic", Role.TECH)


@pytest.fixture
def ada(db) -> User:
    return make_user("ada", Role.APPROVER)


@pytest.fixture
def rex(db) -> User:
    return make_user("rex", Role.TECH)


@pytest.fixture
def cora(db) -> User:
    return make_user("cora", Role.COORDINATOR)


@pytest.fixture
def sam(db) -> User:
    return make_user("sam", Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def olive(db) -> User:
    return make_user("olive")
