"""The SMTP server the provider sends its one-time codes to: aiosmtpd, on loopback, in the
harness's own event loop, so a virtual browser awaits its code without polling."""

from __future__ import annotations

import asyncio
import re
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.smtp import SMTP

_CODE = re.compile(r"\b(\d{6})\b")
CODE_WAIT_SECONDS = 30


class CodeCapture:
    """Keeps the latest code sent to each address; :meth:`code_for` waits for one."""

    def __init__(self) -> None:
        self._codes: dict[str, str] = {}
        self._waiters: dict[str, asyncio.Future[str]] = {}
        self.received = 0
        self._server: asyncio.base_events.Server | None = None

    async def start(self, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="bench-smtp", loop=loop), "127.0.0.1", port
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        match = _CODE.search(text)
        if match is None:
            return "250 OK (no code)"
        self.received += 1
        for address in envelope.rcpt_tos:
            address = address.lower()
            waiter = self._waiters.pop(address, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(match.group(1))
            else:
                self._codes[address] = match.group(1)
        return "250 OK"

    async def code_for(self, address: str) -> str:
        """The code sent to ``address`` (taken: a later sign-in waits for its own)."""
        address = address.lower()
        code = self._codes.pop(address, None)
        if code is not None:
            return code
        waiter = asyncio.get_running_loop().create_future()
        self._waiters[address] = waiter
        return await asyncio.wait_for(waiter, CODE_WAIT_SECONDS)
