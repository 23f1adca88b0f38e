"""E-mail through a real SMTP server run in-process (aiosmtpd): sent, retried when the server is away or busy."""
from __future__ import annotations

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from services.jobs.mailer import SmtpMailer
from services.jobs.notifier import FinalSendError, TransientSendError
from shared_db.models import Notification


class Recorder(Sink):
    """Keeps what arrives; answers each RCPT with the next reply queued, else accepts."""

    def __init__(self):
        self.messages, self.rcpt_replies = [], []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def row() -> Notification:
    return Notification(id=7, kind="invitation", channel="email", to_number="", to_email="hans@example.org",
                        body="Ihr persönlicher Einladungscode: 1234 5670", language="de")


def mailer(port: int) -> SmtpMailer:
    return SmtpMailer("127.0.0.1", port, "Impfhotline <hotline@example.org>", starttls=False, timeout=5)


def test_an_invitation_reaches_the_server_in_utf8(smtp_server):
    controller, handler = smtp_server
    message_id = mailer(controller.port).send(row(), "")
    [got] = handler.messages
    assert got.rcpt_tos == ["hans@example.org"] and ".hotline-7@" in message_id
    mail = email.message_from_bytes(got.original_content, policy=email.policy.default)
    assert mail.get_content().strip() == "Ihr persönlicher Einladungscode: 1234 5670"
    assert mail["Subject"].startswith("Ihre Einladung zur Corona-Impfung")


def test_a_busy_server_is_tried_again_a_refused_address_is_not(smtp_server):
    controller, handler = smtp_server
    handler.rcpt_replies = ["451 4.3.0 try again later"]
    with pytest.raises(TransientSendError):
        mailer(controller.port).send(row(), "")
    handler.rcpt_replies = ["550 5.1.1 no such user"]
    with pytest.raises(FinalSendError):
        mailer(controller.port).send(row(), "")
    mailer(controller.port).send(row(), "")  # the retry after the busy reply gets through
    assert len(handler.messages) == 1


def test_no_server_listening_is_transient():
    with pytest.raises(TransientSendError):
        mailer(free_port()).send(row(), "")
