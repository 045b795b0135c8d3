"""Why a mail or a PDF was not made, in our own words: never the library's.

A mail backend's error can quote what it was given or what the server said (an SMTP login refused with the
user name and password echoed, a server's banner, an address list); a renderer's error can quote the document.
So no page, PDF, mail, stored row or audit event carries exception text: the failure is classified here, and
that reason (with the exception's type name, which carries no text) is all that is kept and shown. The full
text goes only to the server log (`logger.exception` / `exc_info`), through settings.LOGGING.

Device failures have their own list (`live.failures`); a webhook's are in `comms.webhooks`.
"""

from __future__ import annotations

import smtplib
import ssl


def _said(reason: str, exc: BaseException) -> str:
    return f"{reason} ({type(exc).__name__})"


def mail_failure(exc: BaseException) -> str:
    """What a mail backend's exception means: `the mail server refused the login (SMTPAuthenticationError)`."""
    # Most specific first: smtplib's errors and ssl's are OSErrors too.
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _said("the mail server refused the login", exc)
    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError):
        return _said("the mail server refused the message", exc)
    if isinstance(exc, TimeoutError):
        return _said("timed out", exc)
    if isinstance(exc, ssl.SSLError):
        return _said("TLS with the mail server failed", exc)
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected) or (
        isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)
    ):
        return _said("could not reach the mail server", exc)
    return _said("failed", exc)


def renderer_failure(exc: BaseException) -> str:
    """What a PDF renderer's exception means, for a print or label job's page: `the PDF renderer failed
    (MemoryError)`."""
    return _said("the PDF renderer failed", exc)
