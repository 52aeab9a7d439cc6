"""E-mail through an SMTP server (``SMTP_URL``), with its errors sorted into transient or not.

``SMTP_URL`` is ``smtp://[user:password@]host[:port]`` (plain, port 25), ``smtp+starttls://...``
(STARTTLS, port 587) or ``smtps://...`` (TLS from the start, port 465).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from app.notify.delivery import PermanentError, TransientError

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TIMEOUT = 20.0


@dataclass(frozen=True)
class Mailer:
    host: str
    port: int
    security: str  # "smtp", "smtp+starttls" or "smtps"
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> Mailer:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"SMTP_URL must look like smtp://host:25, smtp+starttls://user:pw@"
                             f"host:587 or smtps://user:pw@host:465, not {url!r}")
        return cls(parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme], parts.scheme,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None)

    def send(self, sender: str, to: str, subject: str, body: str, message_id: str) -> str:
        """Send one plain-text message; returns its Message-ID."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, to, subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id
        message.set_content(body)
        try:
            with self._connect() as smtp:
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            raise _by_code(min(codes), f"recipient refused: {error.recipients}") from error
        except smtplib.SMTPResponseException as error:
            said = error.smtp_error
            text = said.decode(errors="replace") if isinstance(said, bytes) else str(said)
            raise _by_code(error.smtp_code, f"SMTP {error.smtp_code}: {text}") from error
        except (smtplib.SMTPException, OSError) as error:  # refused, dropped, timed out
            raise TransientError(f"{type(error).__name__}: {error}") from error
        return message_id

    def _connect(self) -> smtplib.SMTP:
        if self.security == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT,
                                                  context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT)
        try:
            if self.security == "smtp+starttls":
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _by_code(code: int, message: str) -> TransientError | PermanentError:
    """SMTP's own rule: 4xx is a temporary failure, 5xx a permanent one."""
    return PermanentError(message, code) if code >= 500 else TransientError(message, code)
