"""A real SMTP server in-process (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.inbox = _Inbox()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[Message]:
        return self.inbox.messages

    def start(self) -> SMTPServer:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
