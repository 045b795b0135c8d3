"""The log filter on its own: every form of every device secret masked, the rest of the story kept; and the few
reasons a device call's failure is told as."""

from __future__ import annotations

import io
import json
import logging
import smtplib
import socket

import paramiko
import pytest
from napalm.base.exceptions import (
    ConnectAuthError,
    ConnectionClosedException,
    ConnectionException,
    ConnectTimeoutError,
)
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

from live.failures import Failure, classify, from_stored_text, plain_finding
from live.secrets import MASK, RedactDeviceSecrets
from tests.live.leaky import OPTIONAL_ARGS, PASSWORD, USERNAME, assert_no_secret, leaked_words


@pytest.fixture
def secrets_file(settings):
    settings.LOCKSTEP_DEVICE_SECRETS.write_text(
        json.dumps(
            {
                "default": {"username": "lockstep", "password": "pa55-never-shown"},
                "devices": {
                    "sw-a": {"username": USERNAME, "password": PASSWORD, "optional_args": OPTIONAL_ARGS}
                },
            }
        )
    )


def written_through_the_filter(logger_name: str, message: str, *args, exc_info=None) -> str:
    """One record, as `logger_name` would make it, through a handler with the filter (handed straight to the
    handler: whatever another test did to the loggers' levels changes nothing here)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactDeviceSecrets())
    exc = (type(exc_info), exc_info, exc_info.__traceback__) if exc_info is not None else None
    record = logging.getLogger(logger_name).makeRecord(
        logger_name, logging.WARNING, __file__, 0, message, args, exc
    )
    handler.handle(record)
    return stream.getvalue()


def test_every_form_of_the_password_is_masked_in_message_arguments_and_traceback(secrets_file):
    words = leaked_words(USERNAME, PASSWORD, OPTIONAL_ARGS)
    try:
        raise ConnectAuthError(repr({"detail": words, "sent": words.encode()}))
    except ConnectAuthError as exc:
        written = written_through_the_filter("live.gear", "sw-a said %s", words, exc_info=exc)

    assert_no_secret("the log line", written)
    assert f"sw-a said login {USERNAME} / {MASK} failed" in written
    assert "Authorization: Basic " + MASK in written
    assert "ConnectAuthError" in written and "Traceback (most recent call last)" in written


def test_the_default_and_the_environments_passwords_are_masked_too(secrets_file, monkeypatch):
    monkeypatch.setenv("LOCKSTEP_DEVICE_USERNAME", "env-user")
    monkeypatch.setenv("LOCKSTEP_DEVICE_PASSWORD", "from-the-Env'ironment")

    written = written_through_the_filter(
        "django_tasks", "%s then %r then PA55-NEVER-SHOWN", "pa55-never-shown", "from-the-Env'ironment"
    )

    assert written.strip() == f'{MASK} then "{MASK}" then {MASK}'


def test_the_mail_servers_password_is_masked_in_a_failed_deliverys_log_line(secrets_file, settings):
    """A mail server's refusal can quote the password it was sent, like a switch's: the one filter knows it."""
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "lockstep@example.net", "Mail-Pa55'word"
    try:
        raise smtplib.SMTPAuthenticationError(535, b"auth failed for Mail-Pa55'word")
    except smtplib.SMTPAuthenticationError as exc:
        written = written_through_the_filter("comms.tasks", "notice not sent: %r", exc, exc_info=exc)

    assert "mail-pa55" not in written.lower()
    assert "TWFpbC1QYTU1J3dvcmQ" not in written  # base64 of the password
    assert MASK in written and "SMTPAuthenticationError" in written


def test_without_a_secrets_file_a_line_is_written_as_it_is(settings):
    settings.LOCKSTEP_DEVICE_SECRETS = settings.LOCKSTEP_DEVICE_SECRETS.parent / "missing.json"
    assert written_through_the_filter("live.gear", "sw-a: %s", "no answer").strip() == "sw-a: no answer"


@pytest.mark.parametrize(
    ("exc", "failure"),
    [
        (TimeoutError("timed out"), Failure.TIMED_OUT),
        (TimeoutError(), Failure.TIMED_OUT),
        (ConnectTimeoutError("x"), Failure.TIMED_OUT),
        (NetmikoTimeoutException("x"), Failure.TIMED_OUT),
        (ConnectAuthError("x"), Failure.LOGIN_REFUSED),
        (paramiko.AuthenticationException("x"), Failure.LOGIN_REFUSED),
        (NetmikoAuthenticationException("x"), Failure.LOGIN_REFUSED),
        (ConnectionRefusedError(111, "refused"), Failure.UNREACHABLE),
        (socket.gaierror(-2, "Name or service not known"), Failure.UNREACHABLE),
        (OSError(113, "No route to host"), Failure.UNREACHABLE),
        (ConnectionException("x"), Failure.UNREACHABLE),
        (ConnectionClosedException("x"), Failure.UNREACHABLE),
        (json.JSONDecodeError("Expecting value", "<html>", 0), Failure.UNREADABLE),
        (KeyError("interfaces"), Failure.UNREADABLE),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), Failure.UNREADABLE),
        (NotImplementedError(), Failure.UNSUPPORTED),
        (RuntimeError("x"), Failure.DRIVER_FAILED),
        (AttributeError("x"), Failure.DRIVER_FAILED),
    ],
)
def test_a_failure_is_one_of_a_few_reasons(exc, failure):
    assert classify(exc) == failure


def test_what_an_earlier_lockstep_stored_is_classified_from_its_type_name():
    assert from_stored_text("TimeoutError: no answer within 10 s") == Failure.TIMED_OUT
    assert from_stored_text("ConnectAuthError: bad password for lockstep") == Failure.LOGIN_REFUSED
    assert from_stored_text("no credentials for sw-a in the device secrets") == Failure.NO_ACCESS
    assert from_stored_text("TypeError: unexpected") == Failure.DRIVER_FAILED
    assert (
        plain_finding(
            "sw-a did not answer get_interfaces (ConnectionException: http://u:p4ss@10.0.0.5/ refused)"
        )
        == "sw-a did not answer get_interfaces: could not be reached"
    )
    assert plain_finding("sw-a Eth1/1 is up") == "sw-a Eth1/1 is up"
