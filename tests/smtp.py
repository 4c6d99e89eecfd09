"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepted, to read back.

``hold_at`` makes the server stop before accepting the n-th message and wait for the test:
the test can then kill the sender in the middle of a batch, and ``release(accept=False)``
drops the message that was on the wire, as a real server does when the client goes away
before the end of the transaction."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Mail:
    to: list[str]
    subject: str
    body: str


class Handler:
    def __init__(self) -> None:
        self.accepted: list[Mail] = []
        self.started = 0
        self.hold_at: int | None = None
        self.holding = threading.Event()
        self._release = threading.Event()
        self._accept_held = True
        self.lock = threading.Lock()
        self.refused: set[str] = set()  # addresses answered "550" at RCPT TO

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.started += 1
            number = self.started
        if self.hold_at is not None and number == self.hold_at:
            self.holding.set()
            # Wait in a thread: the event loop must keep serving nothing else meanwhile.
            import asyncio

            await asyncio.get_running_loop().run_in_executor(None, self._release.wait, 30)
            if not self._accept_held:
                return "421 connection lost before the end of the transaction"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        with self.lock:
            self.accepted.append(
                Mail(
                    to=list(envelope.rcpt_tos),
                    subject=str(message["subject"]),
                    body=body.get_content() if body else "",
                )
            )
        return "250 OK"


class SMTPServer:
    def __init__(self) -> None:
        self.handler = Handler()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.handler._release.set()
        self.controller.stop()

    @property
    def mails(self) -> list[Mail]:
        with self.handler.lock:
            return list(self.handler.accepted)

    def to(self, address: str) -> list[Mail]:
        return [mail for mail in self.mails if address in mail.to]

    def hold_at(self, number: int) -> None:
        self.handler.hold_at = number

    def release(self, *, accept: bool) -> None:
        self.handler._accept_held = accept
        self.handler._release.set()

    def wait_for(self, count: int, timeout: float = 30) -> list[Mail]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.mails) >= count:
                return self.mails
            time.sleep(0.05)
        raise AssertionError(f"expected {count} mails, the server has {len(self.mails)}")
