"""E-mail through a plain SMTP server (smtplib): invitations and opening notices for people who gave an address.

Errors are sorted like Twilio's: a 4xx reply, a refused or dropped connection
or a timeout is transient (the outbox tries again with its backoff), a 5xx
reply is final (the address or the message was refused). SMTP has no way to
ask a server whether it already took a message, so a worker killed between
the server's "250" and our "sent" could send an e-mail twice: we accept that
rather than lose an invitation. The Message-ID we make is the provider id.
"""
from __future__ import annotations

import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

from services.jobs.notifier import FinalSendError, TransientSendError
from shared_db.messages.texts import email_subject
from shared_db.models import Notification


class SmtpMailer:
    """Sends outbox rows of channel 'email' through one SMTP server."""

    def __init__(self, host: str, port: int, sender: str, user: str | None = None, password: str | None = None,
                 starttls: bool = True, timeout: float = 15.0) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    def message(self, row: Notification) -> EmailMessage:
        """The e-mail of an outbox row: plain text, German first."""
        mail = EmailMessage()
        mail["From"], mail["To"] = self.sender, row.to_email
        mail["Subject"] = email_subject(row.kind)
        mail["Message-ID"] = make_msgid(idstring=f"hotline-{row.id}")
        mail.set_content(row.body)
        return mail

    def send(self, row: Notification, callback_url: str) -> str:
        """Hand the message to the SMTP server; returns its Message-ID."""
        mail = self.message(row)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(mail)
        except smtplib.SMTPResponseException as exc:
            error = f"smtp {exc.smtp_code}: {exc.smtp_error!r}"[:300]
            raise (TransientSendError if 400 <= exc.smtp_code < 500 else FinalSendError)(error) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = f"smtp recipient refused: {codes}"
            raise (TransientSendError if all(400 <= c < 500 for c in codes) else FinalSendError)(error) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TransientSendError(f"smtp {exc.__class__.__name__}: {exc}"[:300]) from exc
        return str(mail["Message-ID"])[:64]

    def find_sent(self, row: Notification, since: datetime) -> str | None:
        return None  # SMTP cannot be asked; a crashed claim is sent again
